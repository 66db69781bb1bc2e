package io.sieve.diversity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VendiTest {

  private static float[] basis(int d, int i) {
    float[] v = new float[d];
    v[i] = 1f;
    return v;
  }

  @Test
  void shouldScoreCopiesOfOneVectorAsOne() {
    // Given ten copies of one unit vector
    float[][] rows = new float[10][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = basis(8, 3);
    }
    // Then there is one effective direction
    assertThat(Vendi.score(rows)).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void shouldScoreEvenlySpreadOrthogonalVectorsAsTheirNumber() {
    // Given two copies each of five orthogonal directions in d = 8
    float[][] rows = new float[10][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = basis(8, i % 5);
    }
    // Then the score is five
    assertThat(Vendi.score(rows)).isCloseTo(5.0, within(1e-9));
  }

  @Test
  void shouldMatchTheEntropyOfAnUnevenSpectrum() {
    // Given three copies of e0 and one of e1: eigenvalues 3/4 and 1/4
    float[][] rows = {basis(4, 0), basis(4, 0), basis(4, 0), basis(4, 1)};
    double h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    // Then VS = exp(H)
    assertThat(Vendi.score(rows)).isCloseTo(Math.exp(h), within(1e-9));
  }

  @Test
  void shouldGiveTheSameScoreForMergedMomentsAsForTheUnion() {
    // Given two sets of random unit vectors
    Random rng = new Random(5);
    SecondMoment a = new SecondMoment(6);
    SecondMoment b = new SecondMoment(6);
    float[][] all = new float[40][];
    for (int i = 0; i < all.length; i++) {
      float[] v = new float[6];
      double n = 0;
      for (int j = 0; j < 6; j++) {
        v[j] = (float) rng.nextGaussian();
        n += v[j] * v[j];
      }
      for (int j = 0; j < 6; j++) {
        v[j] /= (float) Math.sqrt(n);
      }
      all[i] = v;
      (i < 15 ? a : b).add(v);
    }
    // When their moments are merged
    a.merge(b);
    // Then the score is that of the union, and removing a vector undoes adding it
    assertThat(a.vendi()).isCloseTo(Vendi.score(all), within(1e-9));
    SecondMoment c = SecondMoment.of(6, a.count(), a.upperTriangle());
    c.add(all[0]);
    c.add(all[0], -1);
    assertThat(c.vendi()).isCloseTo(a.vendi(), within(1e-9));
  }

  @Test
  void shouldRankAClusteredSetBelowASpreadSetAfterProjection() {
    // Given 384-d vectors: one set near a single direction, one spread out
    Random rng = new Random(9);
    RandomProjection projection = new RandomProjection(384, 32, 42);
    SecondMoment clustered = new SecondMoment(32);
    SecondMoment spread = new SecondMoment(32);
    float[] center = new float[384];
    for (int j = 0; j < 384; j++) {
      center[j] = (float) rng.nextGaussian();
    }
    for (int i = 0; i < 200; i++) {
      float[] near = new float[384];
      float[] far = new float[384];
      for (int j = 0; j < 384; j++) {
        near[j] = center[j] + 0.1f * (float) rng.nextGaussian();
        far[j] = (float) rng.nextGaussian();
      }
      clustered.add(projection.project(near));
      spread.add(projection.project(far));
    }
    // Then the spread set scores far higher, and the projection keeps vectors unit-norm
    assertThat(spread.vendi()).isGreaterThan(5 * clustered.vendi());
    float[] p = projection.project(center);
    double norm = 0;
    for (float x : p) {
      norm += x * x;
    }
    assertThat(norm).isCloseTo(1.0, within(1e-5));
  }
}
