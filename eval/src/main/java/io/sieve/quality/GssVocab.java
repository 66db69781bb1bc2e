package io.sieve.quality;

import io.sieve.cluster.Vectors;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * The General Social Survey's vocabulary test, 1978–2016 ({@code GSSvocab} of the R package
 * carData, Debian {@code r-cran-cardata}), exported to CSV by {@code
 * scripts/fetch-quality-data.sh}. The label is whether a respondent scored at least 6 of 10 words
 * (the median); the features are the survey year, gender, age group, education group (one-hot), age
 * and years of education (scaled) and a constant; the group attribute is {@code nativeBorn} (yes /
 * no), a real demographic attribute that is not the label. Rows with a missing value are skipped.
 */
final class GssVocab {

  static final String PACKAGE = "r-cran-cardata";
  static final String FILE = "gssvocab.csv";
  static final String GROUP_ATTRIBUTE = "nativeBorn";
  static final String MINORITY = "no";
  static final int PASS_SCORE = 6;

  private GssVocab() {}

  /** One respondent. */
  record Row(
      String year,
      String gender,
      String nativeBorn,
      String ageGroup,
      String educGroup,
      int vocab,
      double age,
      double educ) {}

  /** Parses the exported CSV; rows with an empty field are skipped. */
  static List<Row> parse(BufferedReader in) throws IOException {
    String header = in.readLine();
    if (header == null
        || !header
            .replace("\"", "")
            .equals("year,gender,nativeBorn,ageGroup,educGroup,vocab,age,educ")) {
      throw new IOException("not a GSSvocab export, header: " + header);
    }
    List<Row> out = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.replace("\"", "").split(",", -1);
      if (f.length != 8) {
        throw new IOException("malformed GSSvocab line: " + line);
      }
      boolean complete = true;
      for (String v : f) {
        complete &= !v.isEmpty() && !"NA".equals(v);
      }
      if (complete) {
        out.add(
            new Row(
                f[0],
                f[1],
                f[2],
                f[3],
                f[4],
                Integer.parseInt(f[5]),
                Double.parseDouble(f[6]),
                Double.parseDouble(f[7])));
      }
    }
    return out;
  }

  /**
   * Loads {@code dir/gssvocab.csv}, shuffles with {@code seed}, holds out the first {@code heldOut}
   * rows (features normalised, as Sieve normalises the streamed ones) and streams the rest.
   */
  static Dataset load(Path dir, int heldOut, long seed) {
    List<Row> rows = new ArrayList<>(RDataExport.read(dir, FILE, PACKAGE, GssVocab::parse));
    Collections.shuffle(rows, new Random(seed));
    if (rows.size() <= heldOut) {
      throw new IllegalArgumentException("GSSvocab has only " + rows.size() + " complete rows");
    }
    Encoder enc = new Encoder(rows);
    List<Dataset.Item> test = new ArrayList<>(heldOut);
    List<Dataset.Item> stream = new ArrayList<>(rows.size() - heldOut);
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      float[] f = enc.encode(r);
      if (i < heldOut) {
        Vectors.normalize(f);
      }
      Dataset.Item item =
          new Dataset.Item("gss-" + i, null, f, r.vocab() >= PASS_SCORE ? 1 : 0, r.nativeBorn());
      (i < heldOut ? test : stream).add(item);
    }
    return new Dataset("gssvocab", GROUP_ATTRIBUTE, 2, enc.dimension(), true, stream, test);
  }

  /**
   * As {@link #load}, but the validation slice (the first {@code validationSize} held-out items)
   * holds an equal number of rows of each {@code nativeBorn} value. The test set is drawn first,
   * the first {@code testSize} rows of the shuffled file, so it keeps the natural mix; the
   * validation slice then takes the first rows of each value from the rest, and the stream is what
   * remains.
   */
  static Dataset loadEqualValidation(Path dir, int testSize, int validationSize, long seed) {
    Dataset natural = load(dir, 0, seed);
    // load(…, 0, …) streams every row, shuffled with the seed, as an unnormalised item
    List<Dataset.Item> rows = new ArrayList<>(natural.stream());
    TreeSet<String> groups = new TreeSet<>();
    rows.forEach(r -> groups.add(r.group()));
    int perGroup = validationSize / groups.size();
    if (rows.size() <= testSize + validationSize) {
      throw new IllegalArgumentException("GSSvocab has only " + rows.size() + " complete rows");
    }
    List<Dataset.Item> test = rows.subList(0, testSize);
    List<Dataset.Item> validation = new ArrayList<>(validationSize);
    List<Dataset.Item> rest = new ArrayList<>(rows.size());
    java.util.Map<String, Integer> taken = new java.util.HashMap<>();
    for (Dataset.Item r : rows.subList(testSize, rows.size())) {
      int t = taken.getOrDefault(r.group(), 0);
      if (t < perGroup && validation.size() < validationSize) {
        taken.put(r.group(), t + 1);
        validation.add(r);
      } else {
        rest.add(r);
      }
    }
    if (validation.size() < validationSize || rest.isEmpty()) {
      throw new IllegalArgumentException(
          "GSSvocab cannot hold out " + validationSize + " rows equally per group");
    }
    List<Dataset.Item> held = new ArrayList<>(validation);
    held.addAll(test);
    List<Dataset.Item> heldOut = new ArrayList<>(held.size());
    for (Dataset.Item i : held) {
      float[] f = i.features().clone();
      Vectors.normalize(f);
      heldOut.add(new Dataset.Item(i.id(), i.text(), f, i.label(), i.group()));
    }
    return new Dataset(
        natural.name(),
        natural.groupAttribute(),
        natural.classes(),
        natural.dimension(),
        natural.ownEmbedding(),
        rest,
        heldOut);
  }

  /** One-hot and scaled features, in a fixed order derived from the values present. */
  static final class Encoder {
    private final List<String> years;
    private final List<String> genders;
    private final List<String> natives;
    private final List<String> ages;
    private final List<String> educs;

    Encoder(List<Row> rows) {
      years = values(rows.stream().map(Row::year).toList());
      genders = values(rows.stream().map(Row::gender).toList());
      natives = values(rows.stream().map(Row::nativeBorn).toList());
      ages = values(rows.stream().map(Row::ageGroup).toList());
      educs = values(rows.stream().map(Row::educGroup).toList());
    }

    int dimension() {
      return years.size() + genders.size() + natives.size() + ages.size() + educs.size() + 3;
    }

    float[] encode(Row r) {
      float[] f = new float[dimension()];
      int o = 0;
      f[o + years.indexOf(r.year())] = 1;
      o += years.size();
      f[o + genders.indexOf(r.gender())] = 1;
      o += genders.size();
      f[o + natives.indexOf(r.nativeBorn())] = 1;
      o += natives.size();
      f[o + ages.indexOf(r.ageGroup())] = 1;
      o += ages.size();
      f[o + educs.indexOf(r.educGroup())] = 1;
      o += educs.size();
      // ages run 18–89 and schooling 0–20 years: scaled to about [0, 1] like the one-hot parts
      f[o++] = (float) (r.age() / 100.0);
      f[o++] = (float) (r.educ() / 20.0);
      f[o] = 1;
      return f;
    }

    private static List<String> values(List<String> all) {
      return new ArrayList<>(new TreeSet<>(all));
    }
  }
}
