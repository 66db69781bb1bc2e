package io.sieve.policy;

import java.util.Map;

/**
 * Typed reads of a trainer's {@code params} with defaults. A value that does not parse or lies
 * outside its range throws {@link IllegalArgumentException} naming the parameter, which the planner
 * turns into a dead letter when the spec arrives.
 */
public final class Params {

  private final Map<String, String> values;

  public Params(Map<String, String> values) {
    this.values = values == null ? Map.of() : values;
  }

  public String string(String name, String fallback) {
    String v = values.get(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }

  public double number(String name, double fallback, double min, double max) {
    String v = values.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    double d;
    try {
      d = Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number: '" + v + "'", e);
    }
    if (!(d >= min && d <= max)) {
      throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "]: " + v);
    }
    return d;
  }

  public int integer(String name, int fallback, int min, int max) {
    double d = number(name, fallback, min, max);
    if (d != Math.rint(d)) {
      throw new IllegalArgumentException(name + " must be a whole number: " + d);
    }
    return (int) d;
  }

  public boolean has(String name) {
    String v = values.get(name);
    return v != null && !v.isBlank();
  }
}
