package io.sieve.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HashingEmbedderTest {

  private final HashingEmbedder embedder = new HashingEmbedder(256);

  @Test
  void embeddingsHaveUnitNorm() {
    for (String text :
        new String[] {"a", "Hello world", "x".repeat(500), "日本語のテキスト 123", "emoji 😀 ok"}) {
      assertThat(norm(embedder.embed(text))).as(text).isCloseTo(1.0, within(1e-5));
    }
  }

  @Test
  void isDeterministicAcrossInstances() {
    String text = "The same text always lands on the same vector.";
    assertThat(new HashingEmbedder(256).embed(text)).containsExactly(embedder.embed(text));
  }

  @Test
  void ignoresCaseAndPunctuation() {
    assertThat(embedder.embed("Hello, WORLD!!")).containsExactly(embedder.embed("hello world"));
  }

  @Test
  void wordOrderMattersThroughBigrams() {
    float[] ab = embedder.embed("alpha beta gamma");
    float[] ba = embedder.embed("gamma beta alpha");
    assertThat(ab).isNotEqualTo(ba);
    assertThat(cosine(ab, ba)).isGreaterThan(0.5);
  }

  @Test
  void similarTextsAreCloserThanUnrelatedOnes() {
    float[] a = embedder.embed("the quick brown fox jumps over the lazy dog");
    float[] similar = embedder.embed("the quick brown fox leaps over the lazy dog");
    float[] unrelated = embedder.embed("central banks raised interest rates again in march");

    assertThat(cosine(a, similar)).isGreaterThan(0.7);
    assertThat(cosine(a, unrelated)).isLessThan(0.3);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7, 64, 1000})
  void respectsTheDimension(int dimension) {
    HashingEmbedder e = new HashingEmbedder(dimension);
    for (String text : new String[] {"a", "b", "ab", "a b", "one two three four"}) {
      float[] v = e.embed(text);
      assertThat(v).hasSize(dimension);
      // in tiny dimensions the signed features may cancel; the unsigned fallback keeps unit norm
      assertThat(norm(v)).as(text).isCloseTo(1.0, within(1e-5));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "...!?", " -- \t\n ", "@#$%^&*()"})
  void textWithoutFeaturesIsRejected(String text) {
    assertThatThrownBy(() -> embedder.embed(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("text has no features to embed");
  }

  @Test
  void rejectsNonPositiveDimension() {
    assertThatThrownBy(() -> new HashingEmbedder(0)).isInstanceOf(IllegalArgumentException.class);
  }

  private static double norm(float[] v) {
    return Math.sqrt(cosineRaw(v, v));
  }

  private static double cosine(float[] a, float[] b) {
    return cosineRaw(a, b) / (norm(a) * norm(b));
  }

  private static double cosineRaw(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
