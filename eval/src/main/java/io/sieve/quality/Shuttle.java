package io.sieve.quality;

import io.sieve.cluster.Vectors;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Statlog (Shuttle) ({@code Shuttle} of the R package mlbench, Debian {@code r-cran-mlbench}),
 * exported to CSV by {@code scripts/fetch-quality-data.sh}: 58,000 readings of 9 numeric sensors of
 * the space shuttle's radiator, in 7 classes whose supply runs from 45,586 ({@code Rad.Flow}) down
 * to 10 ({@code Bpv.Close}), a natural long tail with an imbalance ratio of about 4,559.
 *
 * <p>Labels are numbered by falling supply (0 the head class). Features: each sensor standardised
 * with the stream's mean and standard deviation, squashed to {@code sign(z)·ln(1 + |z|)} (two of
 * the sensors have heavy tails), and a constant. The group attribute is {@code class}, the class's
 * name.
 *
 * <p><b>Held out per class</b>, not at random: a random hold-out of a few thousand rows would hold
 * one or none of the rarest classes. Each class gives {@value #HELD_SHARE} of its rows, at most an
 * equal share of the held-out size, so the test set is balanced where the supply allows and every
 * class is in it (the rarest by two or three rows: their recall is coarse, and the split is fixed
 * by the data seed, so paired differences compare policies on the same rows). The validation slice
 * takes its rows from each class's held-out rows in proportion.
 */
final class Shuttle {

  static final String PACKAGE = "r-cran-mlbench";
  static final String FILE = "shuttle.csv";
  static final String GROUP_ATTRIBUTE = "class";
  static final int SENSORS = 9;

  /** The share of a class's rows held out, at most. */
  static final double HELD_SHARE = 0.3;

  private Shuttle() {}

  /** One reading: its sensors and its class's name. */
  record Row(double[] sensors, String label) {}

  /** Parses the exported CSV. */
  static List<Row> parse(BufferedReader in) throws IOException {
    String header = in.readLine();
    if (header == null || !header.replace("\"", "").equals("V1,V2,V3,V4,V5,V6,V7,V8,V9,Class")) {
      throw new IOException("not a Shuttle export, header: " + header);
    }
    List<Row> out = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.replace("\"", "").split(",", -1);
      if (f.length != SENSORS + 1 || f[SENSORS].isEmpty()) {
        throw new IOException("malformed Shuttle line: " + line);
      }
      double[] v = new double[SENSORS];
      try {
        for (int i = 0; i < SENSORS; i++) {
          v[i] = Double.parseDouble(f[i]);
        }
      } catch (NumberFormatException e) {
        throw new IOException("malformed Shuttle line: " + line, e);
      }
      out.add(new Row(v, f[SENSORS]));
    }
    return out;
  }

  /**
   * Loads {@code dir/shuttle.csv}: the held-out rows (the first {@code validationSize} of them the
   * validation slice, features normalised as Sieve normalises the streamed ones), and the rest
   * streamed in an order shuffled with {@code seed}.
   */
  static Dataset load(Path dir, int testSize, int validationSize, long seed) {
    List<Row> rows = new ArrayList<>(RDataExport.read(dir, FILE, PACKAGE, Shuttle::parse));
    return split(rows, testSize, validationSize, seed);
  }

  /** {@link #load}'s split and encoding, on parsed rows. */
  static Dataset split(List<Row> rows, int testSize, int validationSize, long seed) {
    Map<String, List<Row>> byClass = new LinkedHashMap<>();
    rows.forEach(r -> byClass.computeIfAbsent(r.label(), k -> new ArrayList<>()).add(r));
    List<String> classes = new ArrayList<>(byClass.keySet());
    // by falling supply, ties by name
    classes.sort(
        Comparator.comparingInt((String c) -> -byClass.get(c).size())
            .thenComparing(Comparator.naturalOrder()));
    Random rng = new Random(seed);
    int quota = (int) Math.ceil((testSize + validationSize) / (double) classes.size());
    List<List<Row>> held = new ArrayList<>();
    List<Row> streamed = new ArrayList<>();
    int heldTotal = 0;
    for (String c : classes) {
      List<Row> of = new ArrayList<>(byClass.get(c));
      Collections.shuffle(of, rng);
      int h = Math.min(quota, (int) Math.floor(of.size() * HELD_SHARE));
      held.add(of.subList(0, h));
      streamed.addAll(of.subList(h, of.size()));
      heldTotal += h;
    }
    if (heldTotal <= validationSize) {
      throw new IllegalArgumentException(
          "Shuttle holds out " + heldTotal + " rows, not more than the validation slice");
    }
    Collections.shuffle(streamed, rng);
    Encoder enc = new Encoder(streamed);
    List<Dataset.Item> validation = new ArrayList<>();
    List<Dataset.Item> test = new ArrayList<>();
    for (int k = 0; k < classes.size(); k++) {
      List<Row> of = held.get(k);
      // in proportion, and a class with two held-out rows or more keeps two in the test set; the
      // rounding's remainder is settled with the head class's rows below
      int v = (int) Math.round(validationSize * of.size() / (double) heldTotal);
      v = Math.max(0, Math.min(v, of.size() - Math.min(2, of.size())));
      for (int i = 0; i < of.size(); i++) {
        float[] f = enc.encode(of.get(i));
        Vectors.normalize(f);
        Dataset.Item item = new Dataset.Item("shuttle-h" + k + "-" + i, null, f, k, classes.get(k));
        (i < v ? validation : test).add(item);
      }
    }
    // the benchmark reads the first validationSize held-out items as the validation slice
    while (validation.size() < validationSize) {
      validation.add(test.remove(0));
    }
    while (validation.size() > validationSize) {
      test.add(0, validation.remove(validation.size() - 1));
    }
    List<Dataset.Item> heldOut = new ArrayList<>(validation);
    heldOut.addAll(test);
    List<Dataset.Item> stream = new ArrayList<>(streamed.size());
    for (int i = 0; i < streamed.size(); i++) {
      Row r = streamed.get(i);
      stream.add(
          new Dataset.Item(
              "shuttle-" + i, null, enc.encode(r), classes.indexOf(r.label()), r.label()));
    }
    return new Dataset(
        "shuttle", GROUP_ATTRIBUTE, classes.size(), SENSORS + 1, true, stream, heldOut);
  }

  /** Standardised, squashed sensors and a constant, scaled with the streamed rows' statistics. */
  static final class Encoder {
    private final double[] mean = new double[SENSORS];
    private final double[] sd = new double[SENSORS];

    Encoder(List<Row> rows) {
      for (Row r : rows) {
        for (int i = 0; i < SENSORS; i++) {
          mean[i] += r.sensors()[i];
        }
      }
      for (int i = 0; i < SENSORS; i++) {
        mean[i] /= Math.max(1, rows.size());
      }
      for (Row r : rows) {
        for (int i = 0; i < SENSORS; i++) {
          double d = r.sensors()[i] - mean[i];
          sd[i] += d * d;
        }
      }
      for (int i = 0; i < SENSORS; i++) {
        sd[i] = Math.sqrt(sd[i] / Math.max(1, rows.size()));
        if (!(sd[i] > 0)) {
          sd[i] = 1;
        }
      }
    }

    float[] encode(Row r) {
      float[] f = new float[SENSORS + 1];
      for (int i = 0; i < SENSORS; i++) {
        double z = (r.sensors()[i] - mean[i]) / sd[i];
        f[i] = (float) (Math.signum(z) * Math.log1p(Math.abs(z)));
      }
      f[SENSORS] = 1;
      return f;
    }
  }
}
