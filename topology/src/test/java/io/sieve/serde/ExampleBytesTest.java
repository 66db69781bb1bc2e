package io.sieve.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExampleBytesTest {

  private static BatchExample example(String id, int chars) {
    return BatchExample.newBuilder()
        .setId(id)
        .setClusterId(0)
        .setText("x".repeat(chars))
        .setEmbedding(List.of(0.5f, 0.5f))
        .setGroups(Map.of("lang", "en"))
        .build();
  }

  @Test
  void shouldCountTextInUtf8PlusFloatsIdAndGroups() {
    // 16 + id 1 + text 3 bytes (one 3-byte character) + 2 floats + group (2 + 4 + 2)
    BatchExample e = example("a", 0);
    e.setText("€");
    assertThat(ExampleBytes.rough(e)).isEqualTo(16 + 1 + 3 + 8 + 8);
  }

  @Test
  void shouldDropTheLargestFirstAndOnlyAsManyAsNeeded() {
    List<BatchExample> examples =
        List.of(example("small", 100), example("big", 5000), example("mid", 2000));
    // Given an excess of 3,000 bytes, dropping the 5,000-character example is enough
    assertThat(ExampleBytes.largestToDrop(examples, 3000)).containsExactly("big");
    // and an excess of 6,000 bytes takes the two largest
    assertThat(ExampleBytes.largestToDrop(examples, 6000)).containsExactlyInAnyOrder("big", "mid");
    // and no excess drops nothing
    assertThat(ExampleBytes.largestToDrop(examples, 0)).isEmpty();
  }
}
