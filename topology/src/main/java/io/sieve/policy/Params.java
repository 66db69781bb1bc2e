package io.sieve.policy;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed reads of a trainer's {@code params} with defaults. A value that does not parse or lies
 * outside its range throws {@link IllegalArgumentException} naming the parameter, which the planner
 * turns into a dead letter when the spec arrives.
 *
 * <p>The names a policy knows are the names its parameter check reads: {@link #unknown} runs the
 * check and returns the given names it never asked for, so that a typo such as {@code ucb.alpah} is
 * refused rather than silently left at its default.
 */
public final class Params {

  /** Names read on this thread while {@link #unknown} runs a check; null otherwise. */
  private static final ThreadLocal<Set<String>> READ = new ThreadLocal<>();

  private final Map<String, String> values;

  public Params(Map<String, String> values) {
    this.values = values == null ? Map.of() : values;
  }

  /**
   * Runs {@code check} and returns the names of {@code params} it did not read, sorted, with the
   * names it did read (whether given or not) as {@code known}.
   */
  public static Names unknown(Map<String, String> params, Runnable check) {
    Set<String> read = new TreeSet<>();
    Set<String> outer = READ.get();
    READ.set(read);
    try {
      check.run();
    } finally {
      READ.set(outer);
    }
    Set<String> unknown = new TreeSet<>(params == null ? Set.of() : params.keySet());
    unknown.removeAll(read);
    return new Names(unknown, read);
  }

  /** The result of {@link #unknown}. */
  public record Names(Set<String> unknown, Set<String> known) {}

  private static void read(String name) {
    Set<String> read = READ.get();
    if (read != null) {
      read.add(name);
    }
  }

  public String string(String name, String fallback) {
    read(name);
    String v = values.get(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }

  public double number(String name, double fallback, double min, double max) {
    read(name);
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
    read(name);
    String v = values.get(name);
    return v != null && !v.isBlank();
  }
}
