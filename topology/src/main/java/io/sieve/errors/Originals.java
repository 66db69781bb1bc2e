package io.sieve.errors;

import io.sieve.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Puts a rejected record's original key and value into its dead letter so that the letter always
 * fits the dead-letter topic: an original larger than its limit is cut to its first bytes, with its
 * size and SHA-256 kept to identify it. A value that could not be written because it was too large
 * must not make its dead letter too large in turn.
 */
public final class Originals {

  /**
   * Most bytes of an original value kept in a dead letter: with the key, error and the other fields
   * a letter stays well under the 1 MiB a topic takes by default.
   */
  public static final int MAX_VALUE_BYTES = 256 * 1024;

  /** Most bytes of an original key kept in a dead letter, and in the dead letter's own key. */
  public static final int MAX_KEY_BYTES = 16 * 1024;

  /** Most characters of a dead letter's error text. */
  public static final int MAX_ERROR_CHARS = 8 * 1024;

  private Originals() {}

  /** Sets key, value and, for what was cut, its original size and hash. */
  public static DeadLetter.Builder attach(DeadLetter.Builder letter, byte[] key, byte[] value) {
    letter.setKey(key == null ? null : ByteBuffer.wrap(cut(key, MAX_KEY_BYTES)));
    if (key != null && key.length > MAX_KEY_BYTES) {
      letter.setOriginalKeySize((long) key.length).setOriginalKeySha256(sha256(key));
    }
    letter.setValue(value == null ? null : ByteBuffer.wrap(cut(value, MAX_VALUE_BYTES)));
    if (value != null && value.length > MAX_VALUE_BYTES) {
      letter.setOriginalValueSize((long) value.length).setOriginalValueSha256(sha256(value));
    }
    return letter;
  }

  /** {@code letter} without the original's bytes, with the size and hash of each part it had. */
  public static DeadLetter withoutOriginals(DeadLetter letter, byte[] key, byte[] value) {
    DeadLetter.Builder b = DeadLetter.newBuilder(letter).setKey(null).setValue(null);
    if (key != null) {
      b.setOriginalKeySize((long) key.length).setOriginalKeySha256(sha256(key));
    }
    if (value != null) {
      b.setOriginalValueSize((long) value.length).setOriginalValueSha256(sha256(value));
    }
    return b.build();
  }

  /** The first {@code max} bytes of {@code bytes}, or {@code bytes} itself when it is no longer. */
  public static byte[] cut(byte[] bytes, int max) {
    return bytes == null || bytes.length <= max ? bytes : Arrays.copyOf(bytes, max);
  }

  /** {@code error} cut to {@link #MAX_ERROR_CHARS}, saying how long it was. */
  public static String error(String error) {
    if (error == null || error.length() <= MAX_ERROR_CHARS) {
      return error;
    }
    return error.substring(0, MAX_ERROR_CHARS) + "... (" + error.length() + " characters)";
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
