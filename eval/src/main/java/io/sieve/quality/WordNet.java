package io.sieve.quality;

import io.sieve.embed.HashingEmbedder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * WordNet glosses (Debian package {@code wordnet-base}): the text is a synset's gloss, the label
 * its lexicographer file number (0..44, the 45 categories such as noun.animal or verb.motion), the
 * group its part of speech ({@code pos}: n, v, a, r; satellite adjectives count as a).
 *
 * <p>A data line of {@code data.<pos>} reads {@code offset lex_filenum ss_type w_cnt word lex_id …
 * | gloss}; the licence header lines start with two spaces and are skipped.
 */
public final class WordNet {

  public static final Path DEFAULT_DIR = Path.of("/usr/share/wordnet");
  public static final String PACKAGE = "wordnet-base";
  public static final String GROUP_ATTRIBUTE = "pos";
  public static final int CATEGORIES = 45;
  static final List<String> FILES = List.of("noun", "verb", "adj", "adv");

  private WordNet() {}

  /** One synset: id, category, part of speech, gloss. */
  public record Synset(String id, int category, String pos, String gloss) {}

  /** Parses the data lines of one {@code data.<file>} file. */
  public static List<Synset> parse(BufferedReader in, String file) throws IOException {
    List<Synset> out = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("  ") || line.isBlank()) {
        continue;
      }
      int bar = line.indexOf(" | ");
      if (bar < 0) {
        continue;
      }
      String[] fields = line.substring(0, bar).split(" ");
      if (fields.length < 3) {
        throw new IOException("malformed WordNet line: " + line);
      }
      int category = Integer.parseInt(fields[1]);
      if (category < 0 || category >= CATEGORIES) {
        throw new IOException("lexicographer file number out of range: " + line);
      }
      String pos = "s".equals(fields[2]) ? "a" : fields[2];
      String gloss = line.substring(bar + 3).trim();
      out.add(new Synset("wn-" + file + "-" + fields[0], category, pos, gloss));
    }
    return out;
  }

  /**
   * Loads every synset, shuffles them with {@code seed}, holds out the first {@code testSize} and
   * streams the next {@code streamSize}. Test glosses are embedded here exactly as Sieve embeds the
   * streamed ones.
   */
  public static Dataset load(Path dir, int streamSize, int testSize, long seed, int dimension) {
    List<Synset> all = new ArrayList<>();
    for (String file : FILES) {
      Path path = dir.resolve("data." + file);
      if (!Files.isReadable(path)) {
        throw new MissingDataException(
            path + " is missing: install it with `apt-get install " + PACKAGE + "`");
      }
      try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.ISO_8859_1)) {
        all.addAll(parse(in, file));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    Collections.shuffle(all, new Random(seed));
    if (all.size() < streamSize + testSize) {
      throw new IllegalArgumentException(
          "WordNet has " + all.size() + " synsets, fewer than stream + test");
    }
    HashingEmbedder embedder = new HashingEmbedder(dimension);
    List<Dataset.Item> test = new ArrayList<>(testSize);
    List<Dataset.Item> stream = new ArrayList<>(streamSize);
    int i = 0;
    while (test.size() < testSize) {
      Synset s = all.get(i++);
      test.add(
          new Dataset.Item(s.id(), s.gloss(), embedder.embed(s.gloss()), s.category(), s.pos()));
    }
    while (stream.size() < streamSize) {
      Synset s = all.get(i++);
      stream.add(new Dataset.Item(s.id(), s.gloss(), null, s.category(), s.pos()));
    }
    return new Dataset("wordnet", GROUP_ATTRIBUTE, CATEGORIES, dimension, false, stream, test);
  }
}
