#!/usr/bin/env bash
# Fetches the data sets of `sieve quality` and converts the tabular ones to CSV.
#
#   scripts/fetch-quality-data.sh [DIR]      (DIR defaults to $SIEVE_QUALITY_DATA or
#                                             ~/.cache/sieve/quality-data)
#
# WordNet glosses and Fashion-MNIST are Debian packages read where they install
# (/usr/share/wordnet, /usr/share/datasets/fashion-mnist). The tabular data sets with a real
# demographic attribute come from R data packages: the .deb is downloaded and unpacked into DIR
# (apt-get download + dpkg-deb -x, without installing its R dependencies), the data is loaded
# with data(..., lib.loc=) and exported with Rscript:
#   r-cran-cardata: GSSvocab (vocabulary score; gender, nativeBorn, ageGroup) and SLID (wages;
#                   sex, language)
#   r-cran-mlbench: Shuttle (a natural extreme long tail over 7 classes)
# Needs root (or sudo) for apt-get install; r-base-core is installed when Rscript is missing.
set -euo pipefail
dir="${1:-${SIEVE_QUALITY_DATA:-$HOME/.cache/sieve/quality-data}}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
updated=0
apt_install() {
  if [[ $updated -eq 0 ]]; then
    "${sudo_cmd[@]}" apt-get update -qq
    updated=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# the two data sets read in place
[[ -r /usr/share/wordnet/data.noun ]] || apt_install wordnet-base
[[ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] \
  || apt_install dataset-fashion-mnist
command -v Rscript >/dev/null 2>&1 || apt_install r-base-core

# the R data packages, unpacked beside the CSVs
unpack() {
  local pkg="$1"
  if [[ -d "$dir/deb/$pkg/usr/lib/R/site-library" ]]; then
    return
  fi
  if [[ $updated -eq 0 ]]; then
    "${sudo_cmd[@]}" apt-get update -qq
    updated=1
  fi
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get download -qq "$pkg")
  mkdir -p "$dir/deb/$pkg"
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$dir/deb/$pkg"
  rm -rf "$tmp"
}
unpack r-cran-cardata
unpack r-cran-mlbench

export_csv() {
  local pkg="$1" rpkg="$2" name="$3" out="$4"
  if [[ -s "$out" ]]; then
    echo "$out exists"
    return
  fi
  Rscript --vanilla -e "
    e <- new.env()
    data(list = '$name', package = '$rpkg', lib.loc = '$dir/deb/$pkg/usr/lib/R/site-library', envir = e)
    d <- get('$name', envir = e)
    write.csv(d, file = '$out.tmp', row.names = FALSE, na = '')
  "
  mv "$out.tmp" "$out"
  echo "$out: $(($(wc -l <"$out") - 1)) rows"
}
export_csv r-cran-cardata carData GSSvocab "$dir/gssvocab.csv"
export_csv r-cran-cardata carData SLID "$dir/slid.csv"
export_csv r-cran-mlbench mlbench Shuttle "$dir/shuttle.csv"
echo "quality data in $dir"
