package io.sieve.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CentroidsTest {

  private static final float H = (float) Math.sqrt(0.5);

  // ids deliberately out of order so that index and id cannot be confused
  private final Centroids centroids =
      new Centroids(
          3,
          new int[] {42, 7, 19},
          new float[] {
            1, 0, 0, //
            0, 1, 0, //
            0, H, H
          });

  @Test
  void nearestIsTheLargestDotProduct() {
    assertThat(centroids.nearestIndex(new float[] {0.9f, 0.1f, 0.1f})).isEqualTo(0);
    assertThat(centroids.nearestIndex(new float[] {0f, 0.95f, 0.1f})).isEqualTo(1);
    assertThat(centroids.nearestIndex(new float[] {0f, 0.5f, 0.8f})).isEqualTo(2);
    assertThat(centroids.nearestIndex(new float[] {-1f, 0f, 0f}))
        .as("every centre is at distance >= 1; the least bad wins")
        .isEqualTo(1);
  }

  @Test
  void idsAndIndicesMapBothWays() {
    assertThat(centroids.size()).isEqualTo(3);
    assertThat(centroids.dimension()).isEqualTo(3);
    for (int i = 0; i < centroids.size(); i++) {
      assertThat(centroids.indexOf(centroids.idAt(i))).isEqualTo(i);
    }
    assertThat(centroids.idAt(2)).isEqualTo(19);
    assertThat(centroids.indexOf(8)).isEqualTo(-1);
  }

  @Test
  void isImmutable() {
    float[] flat = {1, 0, 0, 1};
    int[] ids = {1, 2};
    Centroids c = new Centroids(2, ids, flat);
    flat[0] = 0;
    ids[0] = 5;
    c.center(0)[0] = 0;

    assertThat(c.center(0)).containsExactly(1f, 0f);
    assertThat(c.idAt(0)).isEqualTo(1);
  }

  @Test
  void emptySetHasNoNearest() {
    Centroids empty = new Centroids(4, new int[0], new float[0]);
    assertThat(empty.nearestIndex(new float[4])).isEqualTo(-1);
  }

  @Test
  void rejectsMalformedInput() {
    assertThatThrownBy(() -> new Centroids(2, new int[] {1, 2}, new float[] {1, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Centroids(2, new int[] {1, 1}, new float[] {1, 0, 0, 1}))
        .hasMessageContaining("duplicate");
    assertThatThrownBy(() -> new Centroids(2, new int[] {1}, new float[] {2, 0}))
        .hasMessageContaining("unit");
    assertThatThrownBy(() -> centroids.nearestIndex(new float[2]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> centroids.nearestIndex(new float[] {Float.NaN, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
