package io.sieve.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SoftmaxRegressionTest {

  /** Three classes around three orthogonal directions in 8 dimensions, plus noise. */
  private static float[] point(Random rng, int label) {
    float[] x = new float[8];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.1 * rng.nextGaussian());
    }
    x[label] += 1f;
    return x;
  }

  @Test
  void shouldLearnASeparableProblemAndLowerItsLoss() {
    // Given a fresh model and a separable three-class problem
    SoftmaxRegression model = new SoftmaxRegression(3, 8, 0.05, 1);
    Random rng = new Random(2);
    double firstLoss = 0;
    double lastLoss = 0;
    // When it trains on 200 batches of 16
    for (int step = 0; step < 200; step++) {
      float[][] x = new float[16][];
      int[] y = new int[16];
      for (int k = 0; k < 16; k++) {
        y[k] = rng.nextInt(3);
        x[k] = point(rng, y[k]);
      }
      double[] losses = model.train(x, y);
      double mean = java.util.Arrays.stream(losses).average().orElseThrow();
      if (step == 0) {
        firstLoss = mean;
      }
      lastLoss = mean;
    }
    // Then it classifies fresh points correctly and its batch loss fell
    int correct = 0;
    for (int i = 0; i < 300; i++) {
      int label = i % 3;
      if (model.predict(point(rng, label)) == label) {
        correct++;
      }
    }
    assertThat(correct).isGreaterThanOrEqualTo(297);
    assertThat(firstLoss).isGreaterThan(1.0); // about ln 3 for near-zero weights
    assertThat(lastLoss).isLessThan(0.2);
  }

  @Test
  void shouldStartTheSameFromTheSameSeed() {
    // Given two models from one seed and one from another
    float[] x = {0.3f, -0.2f, 0.5f, 0.1f};
    SoftmaxRegression a = new SoftmaxRegression(3, 4, 0.05, 9);
    SoftmaxRegression b = new SoftmaxRegression(3, 4, 0.05, 9);
    SoftmaxRegression c = new SoftmaxRegression(3, 4, 0.05, 10);
    // Then the first two agree exactly and the third differs
    assertThat(a.probabilities(x)).containsExactly(b.probabilities(x));
    assertThat(c.probabilities(x)).isNotEqualTo(a.probabilities(x));
  }
}
