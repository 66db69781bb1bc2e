package io.sieve.quality;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A CSV that {@code scripts/fetch-quality-data.sh} exports from a Debian R data package: read
 * whole, or a {@link MissingDataException} that names the package and the script.
 */
final class RDataExport {

  /** Parses an export's lines. */
  interface Parser<T> {
    List<T> parse(BufferedReader in) throws IOException;
  }

  private RDataExport() {}

  /** The rows of {@code dir/file}, which the Debian package {@code debianPackage} provides. */
  static <T> List<T> read(Path dir, String file, String debianPackage, Parser<T> parser) {
    Path path = dir.resolve(file);
    if (!Files.isReadable(path)) {
      throw new MissingDataException(
          path
              + " is missing: it comes from the Debian package "
              + debianPackage
              + "; run `scripts/fetch-quality-data.sh "
              + dir
              + "` (it downloads "
              + debianPackage
              + " and exports its data with Rscript from r-base-core)");
    }
    try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      return parser.parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
