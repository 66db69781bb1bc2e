package io.sieve.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QualityDataTest {

  private static final String WORDNET_ADJ =
      "  1 This software and database is being provided to you, the LICENSEE, by  \n"
          + "  2 Princeton University under the following license.  \n"
          + "00001740 00 a 01 able 0 005 = 05207437 n 0000 | (usually followed by `to')"
          + " having the necessary means; \"able to swim\"  \n"
          + "00002098 00 s 01 unable 0 002 ^ 00001740 a 0000 | not having the necessary means  \n"
          + "00002312 44 a 01 abaxial 0 002 ;c 06037666 n 0000 | facing away from the axis  \n";

  @Test
  void shouldParseWordNetDataLinesAndSkipTheLicenceHeader() throws IOException {
    // Given a tiny data.adj with two header lines, a head adjective, a satellite and a category 44
    // When it is parsed
    List<WordNet.Synset> synsets =
        WordNet.parse(new BufferedReader(new StringReader(WORDNET_ADJ)), "adj");
    // Then the three synsets come out with their category, part of speech and gloss
    assertThat(synsets).hasSize(3);
    assertThat(synsets.get(0).id()).isEqualTo("wn-adj-00001740");
    assertThat(synsets.get(0).category()).isZero();
    assertThat(synsets.get(0).gloss())
        .isEqualTo("(usually followed by `to') having the necessary means; \"able to swim\"");
    // a satellite adjective counts as an adjective
    assertThat(synsets.get(1).pos()).isEqualTo("a");
    assertThat(synsets.get(2).category()).isEqualTo(44);
    assertThat(synsets.get(2).gloss()).isEqualTo("facing away from the axis");
  }

  @Test
  void shouldRejectALexicographerFileNumberOutOfRange() {
    // Given a line with category 45, beyond the 45 lexicographer files 0..44
    String line = "00001740 45 n 01 thing 0 000 | a thing  \n";
    // Then parsing fails with the line
    assertThatThrownBy(() -> WordNet.parse(new BufferedReader(new StringReader(line)), "noun"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("out of range");
  }

  @Test
  void shouldNameThePackageWhenWordNetIsMissing(@TempDir Path empty) {
    // Given a directory without WordNet's data files
    // Then loading says which package to install
    assertThatThrownBy(() -> WordNet.load(empty, 10, 10, 1, 384))
        .isInstanceOf(MissingDataException.class)
        .hasMessageContaining("apt-get install wordnet-base");
  }

  @Test
  void shouldReadIdxImagesAndLabelsAndPoolTwoByTwo(@TempDir Path dir) throws IOException {
    // Given gzipped IDX files with two 4×4 images and their labels
    byte[] first = new byte[16];
    byte[] second = new byte[16];
    for (int i = 0; i < 16; i++) {
      first[i] = (byte) 255;
      second[i] = (byte) (i < 2 ? 255 : 0); // top-left block half lit
    }
    Path images = dir.resolve("images.gz");
    Path labels = dir.resolve("labels.gz");
    try (DataOutputStream out = gz(images)) {
      out.writeInt(FashionMnist.IMAGE_MAGIC);
      out.writeInt(2);
      out.writeInt(4);
      out.writeInt(4);
      out.write(first);
      out.write(second);
    }
    try (DataOutputStream out = gz(labels)) {
      out.writeInt(FashionMnist.LABEL_MAGIC);
      out.writeInt(2);
      out.writeByte(9);
      out.writeByte(8);
    }
    // When they are read back
    List<byte[]> imgs;
    int[] lbls;
    try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(images))) {
      imgs = FashionMnist.readImages(in);
    }
    try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(labels))) {
      lbls = FashionMnist.readLabels(in);
    }
    // Then images, labels and the pooled 2×2 means come out right
    assertThat(imgs).hasSize(2);
    assertThat(lbls).containsExactly(9, 8);
    float[] pooled = FashionMnist.pool(imgs.get(1), 4);
    assertThat(pooled).hasSize(4);
    assertThat(pooled[0]).isCloseTo(0.5f, within(1e-6f));
    assertThat(pooled[1]).isZero();
    assertThat(FashionMnist.pool(imgs.get(0), 4)).containsOnly(1f);
    assertThat(FashionMnist.family(9)).isEqualTo("footwear");
    assertThat(FashionMnist.family(8)).isEqualTo("bags");
  }

  @Test
  void shouldRejectALabelFileGivenAsImages() {
    // Given a label file's magic number where images are expected
    byte[] bytes = {0, 0, 8, 1, 0, 0, 0, 0};
    // Then reading images fails with the magic number
    assertThatThrownBy(() -> FashionMnist.readImages(new ByteArrayInputStream(bytes)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("0x00000801");
  }

  @Test
  void shouldNameThePackageWhenFashionMnistIsMissing(@TempDir Path empty) {
    assertThatThrownBy(() -> FashionMnist.load(empty, 10, 10, 1))
        .isInstanceOf(MissingDataException.class)
        .hasMessageContaining("apt-get install dataset-fashion-mnist");
  }

  @Test
  void shouldHoldOutEveryShuttleClassAndNumberLabelsByFallingSupply() {
    // Given a tail like Shuttle's: 3,000 / 600 / 40 / 10 rows of four classes
    List<Shuttle.Row> rows = new java.util.ArrayList<>();
    int[] supply = {600, 3000, 10, 40};
    String[] names = {"High", "Rad.Flow", "Bpv.Close", "Fpv.Close"};
    for (int c = 0; c < supply.length; c++) {
      for (int i = 0; i < supply[c]; i++) {
        double[] v = new double[Shuttle.SENSORS];
        java.util.Arrays.fill(v, c * 10 + (i % 7));
        rows.add(new Shuttle.Row(v, names[c]));
      }
    }
    // When 400 rows are asked for the test set and 100 for validation
    Dataset d = Shuttle.split(rows, 400, 100, 3);
    // Then the labels follow the supply, head first
    assertThat(d.classes()).isEqualTo(4);
    assertThat(d.stream().stream().filter(i -> i.label() == 0).map(Dataset.Item::group).distinct())
        .containsExactly("Rad.Flow");
    assertThat(d.stream().stream().filter(i -> i.label() == 3).map(Dataset.Item::group).distinct())
        .containsExactly("Bpv.Close");
    // each class gives 30 % of its rows, at most an equal share (125) of the 500 held out
    int[] held = new int[4];
    d.test().forEach(i -> held[i.label()]++);
    assertThat(held).containsExactly(125, 125, 12, 3);
    int[] streamed = new int[4];
    d.stream().forEach(i -> streamed[i.label()]++);
    assertThat(streamed).containsExactly(2875, 475, 28, 7);
    // the validation slice is exactly the first 100, drawn from every class in proportion
    List<Dataset.Item> validation = d.test().subList(0, 100);
    assertThat(validation.stream().map(Dataset.Item::label).distinct()).contains(0, 1, 2);
    List<Dataset.Item> test = d.test().subList(100, d.test().size());
    assertThat(test.stream().map(Dataset.Item::label).distinct())
        .containsExactlyInAnyOrder(0, 1, 2, 3);
    // the rarest class's 3 held-out rows: 1 for validation, 2 for the test
    assertThat(test.stream().filter(i -> i.label() == 3)).hasSize(2);
    // held-out features are unit vectors; streamed ones carry the constant, Sieve normalises them
    assertThat(io.sieve.cluster.Vectors.dot(test.get(0).features(), test.get(0).features()))
        .isCloseTo(1f, within(1e-5f));
    assertThat(d.stream().get(0).features()[Shuttle.SENSORS]).isEqualTo(1f);
  }

  @Test
  void shouldRejectAShuttleLineWithoutANumber() {
    String csv =
        "\"V1\",\"V2\",\"V3\",\"V4\",\"V5\",\"V6\",\"V7\",\"V8\",\"V9\",\"Class\"\n"
            + "50,21,77,0,28,0,27,48,x,\"High\"\n";
    assertThatThrownBy(() -> Shuttle.parse(new BufferedReader(new StringReader(csv))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("malformed Shuttle line");
  }

  @Test
  void shouldNameThePackageWhenShuttleIsMissing(@TempDir Path empty) {
    assertThatThrownBy(() -> Shuttle.load(empty, 10, 10, 1))
        .isInstanceOf(MissingDataException.class)
        .hasMessageContaining("r-cran-mlbench");
  }

  @Test
  void shouldHoldOutAGssValidationSliceEqualPerGroup(@TempDir Path dir) throws IOException {
    // Given 400 respondents, 40 of them not native-born
    StringBuilder csv =
        new StringBuilder("year,gender,nativeBorn,ageGroup,educGroup,vocab,age,educ\n");
    for (int i = 0; i < 400; i++) {
      csv.append(1978 + i % 30)
          .append(i % 2 == 0 ? ",female," : ",male,")
          .append(i % 10 == 0 ? "no" : "yes")
          .append(",30-39,12 yrs,")
          .append(i % 11)
          .append(",35,12\n");
    }
    Files.writeString(dir.resolve(GssVocab.FILE), csv);
    // When 40 rows are held out for validation equally per group, and 100 for the test
    Dataset d = GssVocab.loadEqualValidation(dir, 100, 40, 5);
    // Then the validation slice is 20 of each group
    List<Dataset.Item> validation = d.test().subList(0, 40);
    assertThat(validation.stream().filter(i -> i.group().equals("no")).count()).isEqualTo(20);
    // the test set, drawn first, is the shuffled file's first 100 rows: its natural mix
    List<Dataset.Item> test = d.test().subList(40, d.test().size());
    assertThat(test).hasSize(100);
    Dataset natural = GssVocab.load(dir, 100, 5);
    assertThat(test.stream().map(Dataset.Item::id))
        .containsExactlyElementsOf(natural.test().stream().map(Dataset.Item::id).toList());
    // and no row is both held out and streamed
    assertThat(d.stream()).hasSize(260);
    java.util.Set<String> held =
        d.test().stream().map(Dataset.Item::id).collect(java.util.stream.Collectors.toSet());
    assertThat(d.stream()).noneMatch(i -> held.contains(i.id()));
    // held-out features are normalised as Sieve normalises the streamed ones
    assertThat(io.sieve.cluster.Vectors.dot(test.get(0).features(), test.get(0).features()))
        .isCloseTo(1f, within(1e-5f));
  }

  private static DataOutputStream gz(Path file) throws IOException {
    OutputStream raw = Files.newOutputStream(file);
    return new DataOutputStream(new GZIPOutputStream(raw));
  }
}
