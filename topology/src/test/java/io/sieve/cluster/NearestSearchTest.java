package io.sieve.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.simd.VectorKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NearestSearchTest {

  private static float[] unit(Random rng, int d) {
    float[] v = new float[d];
    for (int i = 0; i < d; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    Vectors.normalize(v);
    return v;
  }

  @Test
  void theTestsRunTheVectorKernel() {
    // the build passes --add-modules jdk.incubator.vector to every test JVM, as bin/sieve does
    assertThat(NearestSearch.VECTOR).isTrue();
    assertThat(VectorKernels.lanes()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void vectorAndScalarKernelsAgreeOnDotsAndOnTheNearestRow() {
    // Given 300 centres and 200 queries at dimensions with and without a scalar tail
    for (int d : new int[] {384, 37, 3}) {
      Random rng = new Random(d);
      int k = 300;
      float[] flat = new float[k * d];
      for (int r = 0; r < k; r++) {
        System.arraycopy(unit(rng, d), 0, flat, r * d, d);
      }
      for (int q = 0; q < 200; q++) {
        float[] x = unit(rng, d);
        // Then every dot product agrees to float rounding
        for (int r = 0; r < k; r++) {
          assertThat(VectorKernels.dot(x, flat, r * d, d))
              .isCloseTo(Vectors.dot(x, flat, r * d, d), within(1e-5f));
        }
        // and the nearest row is the same unless two rows are within rounding of each other
        int scalar = scalarNearest(x, flat, k, d);
        int vector = VectorKernels.nearest(x, flat, k, d);
        if (scalar != vector) {
          assertThat(Vectors.dot(x, flat, vector * d, d))
              .isCloseTo(Vectors.dot(x, flat, scalar * d, d), within(1e-5f));
        }
      }
    }
  }

  @Test
  void tiesGoToTheLowestRowAndNothingWinsWithoutRows() {
    float[] flat = {0, 1, 1, 0, 1, 0};
    assertThat(NearestSearch.nearest(new float[] {1, 0}, flat, 3, 2)).isEqualTo(1);
    assertThat(NearestSearch.nearest(new float[] {1, 0}, new float[0], 0, 2)).isEqualTo(-1);
  }

  private static int scalarNearest(float[] x, float[] flat, int k, int d) {
    int best = -1;
    float bestDot = Float.NEGATIVE_INFINITY;
    for (int r = 0; r < k; r++) {
      float s = Vectors.dot(x, flat, r * d, d);
      if (s > bestDot) {
        bestDot = s;
        best = r;
      }
    }
    return best;
  }
}
