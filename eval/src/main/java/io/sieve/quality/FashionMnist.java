package io.sieve.quality;

import io.sieve.cluster.Vectors;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST (Debian package {@code dataset-fashion-mnist}) in IDX format, gzipped. The
 * embedding is the 28×28 image average-pooled 2×2 to 14×14 = 196 values in [0, 1], sent as the
 * example's own embedding (Sieve normalises it). The data set has no attribute beyond the label, so
 * the group is the garment family: tops (T-shirt, pullover, coat, shirt), bottoms (trouser),
 * dresses, footwear (sandal, sneaker, ankle boot) and bags.
 */
public final class FashionMnist {

  public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  public static final String PACKAGE = "dataset-fashion-mnist";
  public static final String GROUP_ATTRIBUTE = "family";
  public static final int CLASSES = 10;
  public static final int POOLED_SIDE = 14;
  static final int IMAGE_MAGIC = 0x00000803;
  static final int LABEL_MAGIC = 0x00000801;

  private static final String[] FAMILY = {
    "tops", "bottoms", "tops", "dresses", "tops", "footwear", "tops", "footwear", "bags", "footwear"
  };

  private FashionMnist() {}

  /** The garment family of a label. */
  public static String family(int label) {
    return FAMILY[label];
  }

  /** Images of an IDX3 stream: one byte array of rows × cols pixels per image. */
  public static List<byte[]> readImages(InputStream raw) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    int magic = in.readInt();
    if (magic != IMAGE_MAGIC) {
      throw new IOException(String.format("not an IDX3 image file (magic 0x%08x)", magic));
    }
    int n = in.readInt();
    int rows = in.readInt();
    int cols = in.readInt();
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] img = new byte[rows * cols];
      in.readFully(img);
      out.add(img);
    }
    return out;
  }

  /** Labels of an IDX1 stream. */
  public static int[] readLabels(InputStream raw) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    int magic = in.readInt();
    if (magic != LABEL_MAGIC) {
      throw new IOException(String.format("not an IDX1 label file (magic 0x%08x)", magic));
    }
    int n = in.readInt();
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = in.readUnsignedByte();
    }
    return out;
  }

  /** 2×2 average pooling of a side × side image, scaled to [0, 1]. */
  public static float[] pool(byte[] image, int side) {
    int half = side / 2;
    float[] out = new float[half * half];
    for (int r = 0; r < half; r++) {
      for (int c = 0; c < half; c++) {
        int a = 2 * r * side + 2 * c;
        int sum =
            (image[a] & 0xff)
                + (image[a + 1] & 0xff)
                + (image[a + side] & 0xff)
                + (image[a + side + 1] & 0xff);
        out[r * half + c] = sum / (4 * 255f);
      }
    }
    return out;
  }

  /**
   * Samples {@code streamSize} training images for the stream and {@code testSize} test images,
   * both with {@code seed}.
   */
  public static Dataset load(Path dir, int streamSize, int testSize, long seed) {
    List<Dataset.Item> stream = split(dir, "train", streamSize, seed, false);
    List<Dataset.Item> test = split(dir, "t10k", testSize, seed + 1, true);
    return new Dataset(
        "fashion-mnist", GROUP_ATTRIBUTE, CLASSES, POOLED_SIDE * POOLED_SIDE, true, stream, test);
  }

  private static List<Dataset.Item> split(
      Path dir, String prefix, int size, long seed, boolean normalise) {
    Path images = dir.resolve(prefix + "-images-idx3-ubyte.gz");
    Path labels = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
    for (Path p : List.of(images, labels)) {
      if (!Files.isReadable(p)) {
        throw new MissingDataException(
            p + " is missing: install it with `apt-get install " + PACKAGE + "`");
      }
    }
    try (InputStream imgIn = new GZIPInputStream(Files.newInputStream(images), 1 << 16);
        InputStream lblIn = new GZIPInputStream(Files.newInputStream(labels))) {
      List<byte[]> imgs = readImages(imgIn);
      int[] lbls = readLabels(lblIn);
      if (imgs.size() != lbls.length) {
        throw new IOException(
            prefix + ": " + imgs.size() + " images but " + lbls.length + " labels");
      }
      if (size > imgs.size()) {
        throw new IllegalArgumentException(prefix + " has only " + imgs.size() + " images");
      }
      int[] order = permutation(imgs.size(), seed);
      List<Dataset.Item> out = new ArrayList<>(size);
      for (int k = 0; k < size; k++) {
        int i = order[k];
        float[] f = pool(imgs.get(i), 2 * POOLED_SIDE);
        if (normalise) {
          Vectors.normalize(f);
        }
        out.add(new Dataset.Item("fm-" + prefix + "-" + i, null, f, lbls[i], family(lbls[i])));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random rng = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
