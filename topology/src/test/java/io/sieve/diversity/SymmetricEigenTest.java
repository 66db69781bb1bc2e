package io.sieve.diversity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SymmetricEigenTest {

  /** Q·diag(values)·Qᵀ with Q a random orthogonal matrix (Gram–Schmidt of Gaussian columns). */
  private static double[] withSpectrum(double[] values, Random rng) {
    int m = values.length;
    double[][] q = new double[m][m];
    for (int c = 0; c < m; c++) {
      for (int r = 0; r < m; r++) {
        q[c][r] = rng.nextGaussian();
      }
      for (int prev = 0; prev < c; prev++) {
        double dot = 0;
        for (int r = 0; r < m; r++) {
          dot += q[c][r] * q[prev][r];
        }
        for (int r = 0; r < m; r++) {
          q[c][r] -= dot * q[prev][r];
        }
      }
      double n = 0;
      for (int r = 0; r < m; r++) {
        n += q[c][r] * q[c][r];
      }
      for (int r = 0; r < m; r++) {
        q[c][r] /= Math.sqrt(n);
      }
    }
    double[] a = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int c = 0; c < m; c++) {
          s += q[c][i] * values[c] * q[c][j];
        }
        a[i * m + j] = s;
      }
    }
    // exactly symmetric, as the sketches' matrices are
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < i; j++) {
        a[i * m + j] = a[j * m + i];
      }
    }
    return a;
  }

  private static double[] sorted(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s;
  }

  private static void assertSpectrum(double[] actual, double[] expected, double tolerance) {
    double[] a = sorted(actual);
    double[] e = sorted(expected);
    assertThat(a).hasSize(e.length);
    for (int i = 0; i < e.length; i++) {
      assertThat(a[i]).as("eigenvalue %d of %d", i, e.length).isCloseTo(e[i], within(tolerance));
    }
  }

  @Test
  void shouldRecoverAKnownSpectrumOfEverySize() {
    // Given matrices of known eigenvalues, m = 1 to 64 (the sketches are 32 × 32)
    Random rng = new Random(11);
    for (int m : new int[] {1, 2, 3, 5, 8, 17, 32, 64}) {
      double[] values = new double[m];
      for (int i = 0; i < m; i++) {
        values[i] = rng.nextDouble() * 10 - 2;
      }
      double[] a = withSpectrum(values, rng);
      // Then the eigenvalues come back
      assertSpectrum(SymmetricEigen.eigenvalues(a, m), values, 1e-9);
    }
  }

  @Test
  void shouldRecoverRepeatedAndZeroEigenvaluesOfALowRankMoment() {
    // Given a rank-3 PSD matrix in d = 32 with a repeated eigenvalue, as a young pool's sketch is
    double[] values = new double[32];
    values[0] = 5;
    values[1] = 5;
    values[2] = 0.25;
    double[] a = withSpectrum(values, new Random(3));
    // Then three nonzero eigenvalues and 29 zeros
    assertSpectrum(SymmetricEigen.eigenvalues(a, 32), values, 1e-9);
  }

  @Test
  void shouldReturnTheDiagonalOfADiagonalMatrixAndZerosOfAZeroMatrix() {
    double[] diagonal = {3, 0, -1, 7};
    double[] a = new double[16];
    for (int i = 0; i < 4; i++) {
      a[i * 4 + i] = diagonal[i];
    }
    assertSpectrum(SymmetricEigen.eigenvalues(a, 4), diagonal, 0);
    assertSpectrum(SymmetricEigen.eigenvalues(new double[9], 3), new double[3], 0);
  }

  @Test
  void shouldKeepTheTraceAndTheFrobeniusNormOfARandomSketch() {
    // Given the second moment of 200 random vectors in d = 32, the pool's sketch
    Random rng = new Random(8);
    SecondMoment moment = new SecondMoment(32);
    for (int n = 0; n < 200; n++) {
      float[] x = new float[32];
      for (int j = 0; j < 32; j++) {
        x[j] = (float) rng.nextGaussian();
      }
      moment.add(x);
    }
    double[] up = moment.upperTriangle();
    double[] a = new double[32 * 32];
    int k = 0;
    for (int i = 0; i < 32; i++) {
      for (int j = i; j < 32; j++) {
        a[i * 32 + j] = up[k];
        a[j * 32 + i] = up[k++];
      }
    }
    double trace = 0;
    double frobenius = 0;
    for (int i = 0; i < 32; i++) {
      trace += a[i * 32 + i];
      for (int j = 0; j < 32; j++) {
        frobenius += a[i * 32 + j] * a[i * 32 + j];
      }
    }
    // Then Σλ is the trace and Σλ² the squared Frobenius norm, every λ ≥ 0 (up to rounding)
    double[] values = SymmetricEigen.eigenvalues(a, 32);
    double sum = 0;
    double squares = 0;
    for (double l : values) {
      assertThat(l).isGreaterThan(-1e-9 * trace);
      sum += l;
      squares += l * l;
    }
    assertThat(sum).isCloseTo(trace, within(1e-9 * trace));
    assertThat(squares).isCloseTo(frobenius, within(1e-9 * frobenius));
  }
}
