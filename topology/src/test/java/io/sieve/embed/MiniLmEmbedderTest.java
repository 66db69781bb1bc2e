package io.sieve.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class MiniLmEmbedderTest {

  private final MiniLmEmbedder embedder = MiniLmEmbedder.shared();

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  @Test
  void shouldGiveUnitVectorsOf384Dimensions() {
    // Given texts short, long (past the model's 512-token window) and odd
    List<String> texts =
        List.of(
            "A man is playing a guitar.",
            "ok",
            "¿Dónde está la biblioteca? 图书馆在哪里?",
            "the quick brown fox jumps over the lazy dog ".repeat(120));

    for (String text : texts) {
      // When it is embedded
      float[] v = embedder.embed(text);

      // Then it has the model's dimension, finite values and unit length
      assertThat(v).hasSize(384);
      for (float x : v) {
        assertThat(Float.isFinite(x)).isTrue();
      }
      assertThat(dot(v, v)).isCloseTo(1.0, within(1e-5));
    }
    assertThat(embedder.dimension()).isEqualTo(384);
  }

  @Test
  void shouldPlaceParaphrasesCloserThanUnrelatedSentences() {
    // Given a sentence, a paraphrase of it and an unrelated sentence
    float[] guitar = embedder.embed("A man is playing a guitar.");
    float[] paraphrase = embedder.embed("Someone plays an instrument.");
    float[] stocks = embedder.embed("The stock market fell today.");

    // When their cosine similarities are compared
    double close = dot(guitar, paraphrase);
    double far = dot(guitar, stocks);

    // Then the paraphrase is clearly the nearer one
    assertThat(close).isGreaterThan(far + 0.2);
    assertThat(dot(paraphrase, stocks)).isLessThan(close);
  }

  @Test
  void shouldBeDeterministic() {
    // Given the same text twice
    String text = "The committee praised the new policy.";

    // Then the embeddings are identical
    assertThat(embedder.embed(text)).containsExactly(embedder.embed(text));
  }

  @Test
  void shouldRejectBlankTextWithAClearMessage() {
    // Given blank texts, Then each is refused with the reason
    for (String blank : List.of("", "   ", "\n\t")) {
      assertThatThrownBy(() -> embedder.embed(blank))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("blank");
    }
    assertThatThrownBy(() -> embedder.embedAll(List.of("fine", " ")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
  }

  @Test
  void shouldEmbedAllInOrderAsOneByOne() {
    // Given several texts
    List<String> texts =
        List.of("The dog barked.", "A farmer planted trees.", "Markets rallied.", "Rain fell.");

    // When they are embedded as a batch
    List<float[]> batch = embedder.embedAll(texts);

    // Then each matches its own single embedding, in order
    assertThat(batch).hasSize(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      assertThat(dot(batch.get(i), embedder.embed(texts.get(i)))).isCloseTo(1.0, within(1e-5));
    }
    assertThat(embedder.embedAll(List.of())).isEmpty();
  }

  @Test
  void shouldGiveTheSameVectorsWhenCalledFromManyThreadsAtOnce() throws Exception {
    // Given the expected embeddings, computed on one thread
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      texts.add("Sentence number " + i + " about " + (i % 2 == 0 ? "music" : "finance") + ".");
    }
    List<float[]> expected = new ArrayList<>();
    for (String text : texts) {
      expected.add(embedder.embed(text));
    }

    // When four threads embed them all concurrently through the one shared instance
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<float[]>>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Callable<List<float[]>> task =
            () -> {
              List<float[]> out = new ArrayList<>();
              for (String text : texts) {
                out.add(embedder.embed(text));
              }
              return out;
            };
        results.add(pool.submit(task));
      }

      // Then every thread got exactly the single-threaded vectors
      for (Future<List<float[]>> result : results) {
        List<float[]> got = result.get();
        for (int i = 0; i < texts.size(); i++) {
          assertThat(got.get(i)).containsExactly(expected.get(i));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldBeOneInstancePerJvm() {
    // Then every caller shares the loaded model
    assertThat(MiniLmEmbedder.shared()).isSameAs(embedder);
  }
}
