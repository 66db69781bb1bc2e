package io.sieve.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KMeansPlusPlusTest {

  private static final int DIM = 16;
  private static final int BLOBS = 4;

  @Test
  void recoversOneCentrePerWellSeparatedBlob() {
    for (long seed = 0; seed < 5; seed++) {
      Random data = new Random(100 + seed);
      float[][] means = randomUnitVectors(data, BLOBS);
      List<float[]> points = blobs(data, means, 50, 0.05);

      float[][] centres =
          KMeansPlusPlus.refine(points, KMeansPlusPlus.seed(points, BLOBS, new Random(seed)), 20);

      assertThat(centres).hasNumberOfRows(BLOBS);
      boolean[] matched = new boolean[BLOBS];
      for (float[] mean : means) {
        int best = -1;
        double bestCos = -2;
        for (int c = 0; c < centres.length; c++) {
          double cos = Vectors.dot(mean, centres[c]);
          if (cos > bestCos) {
            bestCos = cos;
            best = c;
          }
        }
        assertThat(bestCos).as("seed %d", seed).isGreaterThan(0.95);
        assertThat(matched[best]).as("centre %d claimed twice", best).isFalse();
        matched[best] = true;
      }
      for (float[] c : centres) {
        assertThat(Math.sqrt(Vectors.dot(c, c))).isBetween(0.9999, 1.0001);
      }
    }
  }

  @Test
  void sameSeedGivesIdenticalCentres() {
    Random data = new Random(7);
    List<float[]> points = blobs(data, randomUnitVectors(data, BLOBS), 30, 0.3);

    float[][] a = KMeansPlusPlus.refine(points, KMeansPlusPlus.seed(points, 6, new Random(3)), 10);
    float[][] b = KMeansPlusPlus.refine(points, KMeansPlusPlus.seed(points, 6, new Random(3)), 10);
    float[][] other = KMeansPlusPlus.seed(points, 6, new Random(4));

    assertThat(Arrays.deepEquals(a, b)).isTrue();
    assertThat(Arrays.deepEquals(KMeansPlusPlus.seed(points, 6, new Random(3)), other)).isFalse();
  }

  @Test
  void fewerDistinctPointsThanKGivesFewerCentresWithoutDuplicates() {
    float[][] distinct = randomUnitVectors(new Random(11), 3);
    List<float[]> points = new ArrayList<>();
    for (int copy = 0; copy < 5; copy++) {
      for (float[] p : distinct) {
        points.add(p.clone());
      }
    }
    for (long seed = 0; seed < 10; seed++) {
      float[][] centres = KMeansPlusPlus.seed(points, 10, new Random(seed));
      assertThat(centres).hasNumberOfRows(3);
      assertThat(Arrays.stream(centres).map(Arrays::toString)).doesNotHaveDuplicates();
    }
  }

  @Test
  void seedingSpreadsCentresAcrossBlobs() {
    // D² sampling should almost never put two of four centres into the same tight blob
    Random data = new Random(5);
    float[][] means = randomUnitVectors(data, BLOBS);
    List<float[]> points = blobs(data, means, 100, 0.02);
    int covered = 0;
    for (long seed = 0; seed < 20; seed++) {
      boolean[] hit = new boolean[BLOBS];
      for (float[] c : KMeansPlusPlus.seed(points, BLOBS, new Random(seed))) {
        hit[nearest(c, means)] = true;
      }
      for (boolean h : hit) {
        covered += h ? 1 : 0;
      }
    }
    assertThat(covered).isEqualTo(20 * BLOBS);
  }

  @Test
  void anEmptyClusterKeepsItsCentre() {
    List<float[]> points = List.of(new float[] {1, 0}, new float[] {0.8f, 0.6f});
    float[][] start = {{1, 0}, {-1, 0}};

    float[][] refined = KMeansPlusPlus.refine(points, start, 5);

    assertThat(refined[1]).containsExactly(-1f, 0f);
    assertThat((double) refined[0][1]).isGreaterThan(0.1);
    assertThat(start[0]).as("input is not modified").containsExactly(1f, 0f);
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> KMeansPlusPlus.seed(List.of(new float[] {1}), 0, new Random()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(KMeansPlusPlus.seed(List.of(), 3, new Random())).isEmpty();
  }

  private static int nearest(float[] x, float[][] means) {
    int best = 0;
    for (int i = 1; i < means.length; i++) {
      if (Vectors.dot(x, means[i]) > Vectors.dot(x, means[best])) {
        best = i;
      }
    }
    return best;
  }

  private static float[][] randomUnitVectors(Random rng, int count) {
    float[][] out = new float[count][DIM];
    for (float[] v : out) {
      for (int i = 0; i < DIM; i++) {
        v[i] = (float) rng.nextGaussian();
      }
      Vectors.normalize(v);
    }
    return out;
  }

  private static List<float[]> blobs(Random rng, float[][] means, int perBlob, double noise) {
    List<float[]> points = new ArrayList<>();
    for (int p = 0; p < perBlob; p++) {
      for (float[] mean : means) {
        float[] x = new float[DIM];
        for (int i = 0; i < DIM; i++) {
          x[i] = (float) (mean[i] + noise * rng.nextGaussian());
        }
        Vectors.normalize(x);
        points.add(x);
      }
    }
    return points;
  }
}
