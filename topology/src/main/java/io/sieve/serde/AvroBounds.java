package io.sieve.serde;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Walks Avro binary data against its writer schema without allocating anything, so that a length
 * the data claims is checked before a decoder sizes an array, map, string or byte buffer by it.
 *
 * <p>Avro's decoders allocate a collection or string of the announced length up front: a 20-byte
 * record whose array block claims two billion floats asks for 8 GB before the first float is read.
 * Here every block count {@code n} of items whose smallest encoding is {@code m} bytes must satisfy
 * {@code n * m <= bytes left}, and every string or bytes length must satisfy {@code length <= bytes
 * left}; a collection may hold at most {@code maxItems} items in all (which bounds items whose
 * encoding may be empty, such as nulls) and values nest at most {@link #MAX_DEPTH} deep (which
 * bounds the stack a recursive schema may use). The walk reads each length once and skips
 * fixed-size items in bulk, so it costs far less than the decode it guards.
 */
final class AvroBounds {

  /** Deepest nesting of records, arrays, maps and unions a value may have. */
  static final int MAX_DEPTH = 64;

  private final byte[] buf;
  private final int end;
  private final long maxItems;
  private final Map<Schema, Long> minSizes = new IdentityHashMap<>();
  private int pos;

  private AvroBounds(byte[] buf, int offset, int length, long maxItems) {
    this.buf = buf;
    this.pos = offset;
    this.end = offset + length;
    this.maxItems = maxItems;
  }

  /**
   * Checks that {@code length} bytes from {@code offset} hold a value of {@code writer} whose
   * lengths are all within the bytes left and the limits.
   *
   * @throws IllegalArgumentException naming the first length that is out of bounds
   */
  static void check(Schema writer, byte[] data, int offset, int length, long maxItems) {
    new AvroBounds(data, offset, length, maxItems).walk(writer, 0);
  }

  private void walk(Schema s, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("values nested deeper than " + MAX_DEPTH + " levels");
    }
    switch (s.getType()) {
      case NULL -> {}
      case BOOLEAN -> skip(1, "boolean");
      case INT -> readVarLong(5);
      case LONG -> readVarLong(10);
      case FLOAT -> skip(4, "float");
      case DOUBLE -> skip(8, "double");
      case FIXED -> skip(s.getFixedSize(), s.getFullName());
      case STRING, BYTES -> {
        long n = readVarLong(10);
        if (n < 0) {
          throw new IllegalArgumentException("negative " + s.getName() + " length " + n);
        }
        skip(n, s.getName());
      }
      case ENUM -> {
        long i = readVarLong(5);
        if (i < 0 || i >= s.getEnumSymbols().size()) {
          throw new IllegalArgumentException(
              "enum index " + i + " out of range for " + s.getFullName());
        }
      }
      case UNION -> {
        List<Schema> branches = s.getTypes();
        long i = readVarLong(5);
        if (i < 0 || i >= branches.size()) {
          throw new IllegalArgumentException(
              "union branch " + i + " out of range (" + branches.size() + " branches)");
        }
        walk(branches.get((int) i), depth + 1);
      }
      case RECORD -> {
        for (Schema.Field f : s.getFields()) {
          walk(f.schema(), depth + 1);
        }
      }
      case ARRAY -> items(s.getElementType(), false, depth);
      case MAP -> items(s.getValueType(), true, depth);
    }
  }

  /** The blocks of an array or map: a count, optionally negated and followed by a byte size. */
  private void items(Schema item, boolean keyed, int depth) {
    String kind = keyed ? "map" : "array";
    long perItem = minSize(item, 0) + (keyed ? 1 : 0);
    int fixed = keyed ? -1 : fixedSize(item);
    long total = 0;
    while (true) {
      long count = readVarLong(10);
      if (count == 0) {
        return;
      }
      if (count < 0) {
        if (count == Long.MIN_VALUE) {
          throw new IllegalArgumentException(kind + " block count out of range");
        }
        count = -count;
        long blockBytes = readVarLong(10);
        if (blockBytes < 0 || blockBytes > left()) {
          throw new IllegalArgumentException(
              kind + " block claims " + blockBytes + " bytes with " + left() + " left");
        }
      }
      if (perItem > 0 && count > left() / perItem) {
        throw new IllegalArgumentException(
            kind
                + " claims "
                + count
                + " items of at least "
                + perItem
                + " bytes each with "
                + left()
                + " bytes left");
      }
      total += count;
      if (total > maxItems) {
        throw new IllegalArgumentException(
            kind + " claims " + total + " items, more than the limit of " + maxItems);
      }
      if (fixed >= 0) {
        skip(count * fixed, kind + " items");
        continue;
      }
      for (long i = 0; i < count; i++) {
        if (keyed) {
          walk(Schema.create(Schema.Type.STRING), depth + 1);
        }
        walk(item, depth + 1);
      }
    }
  }

  /** The size of every encoding of {@code s}, or -1 when encodings differ in size. */
  private static int fixedSize(Schema s) {
    return switch (s.getType()) {
      case NULL -> 0;
      case BOOLEAN -> 1;
      case FLOAT -> 4;
      case DOUBLE -> 8;
      case FIXED -> s.getFixedSize();
      default -> -1;
    };
  }

  /** The fewest bytes any value of {@code s} encodes to. */
  private long minSize(Schema s, int depth) {
    if (depth > MAX_DEPTH) {
      return 0; // a recursive schema: what is counted so far is a lower bound
    }
    Long known = minSizes.get(s);
    if (known != null) {
      return known;
    }
    long size =
        switch (s.getType()) {
          case NULL -> 0;
          case BOOLEAN, INT, LONG, STRING, BYTES, ENUM, ARRAY, MAP -> 1;
          case FLOAT -> 4;
          case DOUBLE -> 8;
          case FIXED -> s.getFixedSize();
          case UNION -> 1;
          case RECORD -> {
            long sum = 0;
            for (Schema.Field f : s.getFields()) {
              sum += minSize(f.schema(), depth + 1);
            }
            yield sum;
          }
        };
    minSizes.put(s, size);
    return size;
  }

  private long left() {
    return end - pos;
  }

  private void skip(long n, String what) {
    if (n > left()) {
      throw new IllegalArgumentException(what + " claims " + n + " bytes with " + left() + " left");
    }
    pos += (int) n;
  }

  /** A zig-zag varint of at most {@code maxBytes} bytes. */
  private long readVarLong(int maxBytes) {
    long raw = 0;
    for (int i = 0; i < maxBytes; i++) {
      if (pos >= end) {
        throw new IllegalArgumentException("data ends inside a number");
      }
      int b = buf[pos++] & 0xff;
      raw |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new IllegalArgumentException("a number longer than " + maxBytes + " bytes");
  }
}
