package io.sieve.quality;

import java.util.SplittableRandom;

/**
 * Multinomial logistic (softmax) regression trained by Adam on mini-batches.
 *
 * <p>For an input x ∈ ℝᵈ the model gives p = softmax(Wx + b) over C classes; the loss of a labelled
 * example (x, y) is the cross-entropy ℓ = −log p_y. On a batch of n examples the gradient of the
 * mean loss is ∇W = (1/n) Σ (p − e_y) xᵀ and ∇b = (1/n) Σ (p − e_y), and Adam (Kingma and Ba)
 * updates every parameter θ with m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η·m̂/(√v̂ + ε),
 * where m̂ = m/(1−β₁ᵗ) and v̂ = v/(1−β₂ᵗ). Adam's per-parameter scale suits unit-norm embeddings
 * whose coordinates are small. Weights start at N(0, 0.01²) from the given seed.
 */
public final class SoftmaxRegression {

  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPS = 1e-8;

  private final int classes;
  private final int dimension;
  private final double learningRate;
  // row c of W is weights[c*dimension .. (c+1)*dimension), then the biases
  private final double[] params;
  private final double[] m;
  private final double[] v;
  private long steps;

  public SoftmaxRegression(int classes, int dimension, double learningRate, long seed) {
    this.classes = classes;
    this.dimension = dimension;
    this.learningRate = learningRate;
    this.params = new double[classes * dimension + classes];
    this.m = new double[params.length];
    this.v = new double[params.length];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < classes * dimension; i++) {
      params[i] = 0.01 * gaussian(rng);
    }
  }

  /** Class probabilities of x. */
  public double[] probabilities(float[] x) {
    return probabilities(x, 1);
  }

  /** Class probabilities of x with the logits divided by {@code temperature} (> 0). */
  public double[] probabilities(float[] x, double temperature) {
    double[] z = new double[classes];
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      double s = params[classes * dimension + c];
      int row = c * dimension;
      for (int i = 0; i < dimension; i++) {
        s += params[row + i] * x[i];
      }
      z[c] = s / temperature;
      max = Math.max(max, s);
    }
    double total = 0;
    for (int c = 0; c < classes; c++) {
      z[c] = Math.exp(z[c] - max);
      total += z[c];
    }
    for (int c = 0; c < classes; c++) {
      z[c] /= total;
    }
    return z;
  }

  /** Cross-entropy −log p_y of a labelled example, without training. */
  public double loss(float[] x, int y) {
    return loss(x, y, 1);
  }

  /** Cross-entropy of a labelled example with the logits divided by {@code temperature}. */
  public double loss(float[] x, int y, double temperature) {
    return -Math.log(Math.max(probabilities(x, temperature)[y], 1e-12));
  }

  /**
   * The temperature that minimises the mean cross-entropy on the given examples (temperature
   * scaling, Guo et al., ICML 2017): a golden-section search over ln T in [ln 0.05, ln 50].
   */
  public double calibrate(float[][] x, int[] y) {
    double lo = Math.log(0.05);
    double hi = Math.log(50);
    double g = (Math.sqrt(5) - 1) / 2;
    double a = hi - g * (hi - lo);
    double b = lo + g * (hi - lo);
    double fa = meanLoss(x, y, Math.exp(a));
    double fb = meanLoss(x, y, Math.exp(b));
    for (int i = 0; i < 60; i++) {
      if (fa <= fb) {
        hi = b;
        b = a;
        fb = fa;
        a = hi - g * (hi - lo);
        fa = meanLoss(x, y, Math.exp(a));
      } else {
        lo = a;
        a = b;
        fa = fb;
        b = lo + g * (hi - lo);
        fb = meanLoss(x, y, Math.exp(b));
      }
    }
    return Math.exp((lo + hi) / 2);
  }

  /** The mean loss on the given examples of each label (ln C for a label with none). */
  public double[] meanLossByLabel(float[][] x, int[] y) {
    double[] sum = new double[classes];
    int[] n = new int[classes];
    for (int k = 0; k < x.length; k++) {
      sum[y[k]] += loss(x[k], y[k]);
      n[y[k]]++;
    }
    double[] out = new double[classes];
    for (int c = 0; c < classes; c++) {
      out[c] = n[c] > 0 ? sum[c] / n[c] : Math.log(classes);
    }
    return out;
  }

  private double meanLoss(float[][] x, int[] y, double temperature) {
    double sum = 0;
    for (int k = 0; k < x.length; k++) {
      sum += loss(x[k], y[k], temperature);
    }
    return sum / Math.max(1, x.length);
  }

  /** The most probable class. */
  public int predict(float[] x) {
    double[] p = probabilities(x);
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (p[c] > p[best]) {
        best = c;
      }
    }
    return best;
  }

  /**
   * One Adam step on a mini-batch. Returns each example's cross-entropy before the step: the loss
   * the model had on data it had not yet trained on, which is what a trainer reports as feedback.
   */
  public double[] train(float[][] x, int[] y) {
    int n = x.length;
    double[] losses = new double[n];
    double[] grad = new double[params.length];
    for (int k = 0; k < n; k++) {
      double[] p = probabilities(x[k]);
      losses[k] = -Math.log(Math.max(p[y[k]], 1e-12));
      p[y[k]] -= 1;
      for (int c = 0; c < classes; c++) {
        double g = p[c] / n;
        int row = c * dimension;
        for (int i = 0; i < dimension; i++) {
          grad[row + i] += g * x[k][i];
        }
        grad[classes * dimension + c] += g;
      }
    }
    steps++;
    double c1 = 1 - Math.pow(BETA1, steps);
    double c2 = 1 - Math.pow(BETA2, steps);
    for (int i = 0; i < params.length; i++) {
      double g = grad[i];
      m[i] = BETA1 * m[i] + (1 - BETA1) * g;
      v[i] = BETA2 * v[i] + (1 - BETA2) * g * g;
      params[i] -= learningRate * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPS);
    }
    return losses;
  }

  private static double gaussian(SplittableRandom rng) {
    double u = rng.nextDouble();
    double w = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(Math.max(u, 1e-300))) * Math.cos(2 * Math.PI * w);
  }
}
