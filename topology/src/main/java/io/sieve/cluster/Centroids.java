package io.sieve.cluster;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable set of unit-length cluster centres stored row-major in one flat array.
 *
 * <p>For unit vectors the cosine distance is {@code 1 − ⟨x, c⟩}, so the nearest centre to a unit
 * {@code x} is {@code argmax_i ⟨x, c_i⟩}; ties go to the lowest index, which keeps assignment
 * deterministic. Each centre carries a caller-chosen stable id, distinct within the set, so that
 * centres can be tracked across successive sets even when their positions change.
 */
public final class Centroids {

  /** How far a row's length may stray from 1 before it is rejected as not normalised. */
  private static final double UNIT_TOLERANCE = 1e-3;

  private final int dimension;
  private final int[] ids;
  private final float[] flat;

  /**
   * @param ids the centre ids, distinct
   * @param flat {@code ids.length × dimension} row-major unit vectors (copied)
   */
  public Centroids(int dimension, int[] ids, float[] flat) {
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be positive: " + dimension);
    }
    Objects.requireNonNull(ids, "ids");
    Objects.requireNonNull(flat, "flat");
    if ((long) ids.length * dimension != flat.length) {
      throw new IllegalArgumentException(
          "flat has " + flat.length + " values, expected " + ids.length + " × " + dimension);
    }
    int[] sorted = ids.clone();
    Arrays.sort(sorted);
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i] == sorted[i - 1]) {
        throw new IllegalArgumentException("duplicate centroid id " + sorted[i]);
      }
    }
    if (!Vectors.allFinite(flat)) {
      throw new IllegalArgumentException("centroids contain a non-finite value");
    }
    for (int r = 0; r < ids.length; r++) {
      double sq = 0;
      for (int i = r * dimension, end = i + dimension; i < end; i++) {
        sq += (double) flat[i] * flat[i];
      }
      if (Math.abs(Math.sqrt(sq) - 1.0) > UNIT_TOLERANCE) {
        throw new IllegalArgumentException(
            "centroid " + ids[r] + " is not unit length: " + Math.sqrt(sq));
      }
    }
    this.dimension = dimension;
    this.ids = ids.clone();
    this.flat = flat.clone();
  }

  /**
   * Index of the centre with the largest dot product with {@code x} (the smallest cosine distance
   * when {@code x} is unit length), or −1 if the set is empty.
   *
   * @throws IllegalArgumentException if {@code x} has the wrong dimension or a NaN component
   */
  public int nearestIndex(float[] x) {
    if (x.length != dimension) {
      throw new IllegalArgumentException(
          "vector has dimension " + x.length + ", centroids have " + dimension);
    }
    int best = NearestSearch.nearest(x, flat, ids.length, dimension);
    if (best < 0 && ids.length > 0) {
      // only a NaN dot product loses every comparison; checked here to keep the loop lean
      throw new IllegalArgumentException("vector has a non-finite component");
    }
    return best;
  }

  /** {@code ⟨x, c_index⟩}: the cosine similarity of a unit {@code x} to centre {@code index}. */
  public float dotWith(float[] x, int index) {
    if (x.length != dimension) {
      throw new IllegalArgumentException(
          "vector has dimension " + x.length + ", centroids have " + dimension);
    }
    return NearestSearch.dot(x, flat, Objects.checkIndex(index, ids.length) * dimension, dimension);
  }

  public int idAt(int index) {
    return ids[Objects.checkIndex(index, ids.length)];
  }

  public int size() {
    return ids.length;
  }

  public int dimension() {
    return dimension;
  }

  /** A copy of centre {@code index}. */
  public float[] center(int index) {
    int from = Objects.checkIndex(index, ids.length) * dimension;
    return Arrays.copyOfRange(flat, from, from + dimension);
  }

  /** The index of the centre with id {@code id}, or −1; a linear scan, as sets are small. */
  public int indexOf(int id) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == id) {
        return i;
      }
    }
    return -1;
  }
}
