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

  @Test
  void shouldSoftenAnOverconfidentModelByTemperature() {
    // Given a model trained 300 passes over 30 points whose labels are a fifth wrong (it
    // memorises them)
    SoftmaxRegression model = new SoftmaxRegression(3, 8, 0.05, 1);
    Random rng = new Random(3);
    int[] y = new int[30];
    float[][] x = mislabelled(rng, y);
    for (int pass = 0; pass < 300; pass++) {
      model.train(x, y);
    }
    // When its temperature is fitted on 600 fresh points labelled the same way
    int[] hy = new int[600];
    float[][] hx = mislabelled(rng, hy);
    double t = model.calibrate(hx, hy);
    // Then it is softened, and the held-out loss at that temperature is below the loss at 1
    assertThat(t).isGreaterThan(1.5);
    double at1 = 0;
    double atT = 0;
    for (int k = 0; k < 600; k++) {
      at1 += model.loss(hx[k], hy[k]);
      atT += model.loss(hx[k], hy[k], t);
    }
    assertThat(atT).isLessThan(at1);
  }

  /** {@code y.length} points whose labels, written into {@code y}, are a fifth wrong. */
  private static float[][] mislabelled(Random rng, int[] y) {
    float[][] x = new float[y.length][];
    for (int k = 0; k < y.length; k++) {
      int label = rng.nextInt(3);
      x[k] = point(rng, label);
      y[k] = rng.nextInt(5) == 0 ? (label + 1) % 3 : label;
    }
    return x;
  }
}
