package io.sieve.serde;

import io.sieve.registry.SchemaRegistry;
import io.sieve.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The factory of Sieve's Avro serdes, in the Confluent wire format (magic byte 0, 4-byte big-endian
 * schema id, Avro binary).
 *
 * <p>Serializers register the record class's schema under {@code <topic>-key} or {@code
 * <topic>-value} (TopicNameStrategy) once per topic and write the returned id. Deserializers look
 * the writer schema up by id and resolve it against the class's schema, so records written with an
 * older (or newer, compatible) schema are read with defaults filled in. Malformed input throws
 * {@link SerializationException}; {@code null} maps to {@code null} both ways.
 *
 * <p>Serdes made here are thread-safe.
 */
public final class AvroSerdes {

  /** First byte of every value in the wire format. */
  public static final byte MAGIC_BYTE = 0;

  /** Bytes before the Avro payload: the magic byte and the 4-byte schema id. */
  public static final int HEADER_SIZE = 5;

  /**
   * Default of the most items one array or map in a decoded value may hold (see {@link
   * AvroBounds}); lengths are also checked against the bytes left whatever this limit.
   */
  public static final int MAX_COLLECTION_ITEMS_DEFAULT = 4_194_304;

  private static final ThreadLocal<BinaryEncoder> ENCODER = new ThreadLocal<>();
  private static final ThreadLocal<ByteArrayOutputStream> BUFFER =
      ThreadLocal.withInitial(() -> new ByteArrayOutputStream(8192));
  private static final ThreadLocal<BinaryDecoder> DECODER = new ThreadLocal<>();

  private final SchemaRegistry registry;
  private final int maxCollectionItems;
  private final Map<Class<?>, AvroSerializer<?>> valueSerializers = new ConcurrentHashMap<>();
  private final Map<Class<?>, AvroDeserializer<?>> deserializers = new ConcurrentHashMap<>();

  public AvroSerdes(SchemaRegistry registry) {
    this(registry, MAX_COLLECTION_ITEMS_DEFAULT);
  }

  /**
   * @param maxCollectionItems the most items one array or map of a decoded value may hold; values
   *     that claim more do not decode (a {@link SerializationException}, never an allocation)
   */
  public AvroSerdes(SchemaRegistry registry, int maxCollectionItems) {
    this.registry = Objects.requireNonNull(registry, "registry");
    if (maxCollectionItems < 1) {
      throw new IllegalArgumentException("maxCollectionItems must be positive");
    }
    this.maxCollectionItems = maxCollectionItems;
  }

  /** The registry the serdes register and look up schemas in. */
  public SchemaRegistry registry() {
    return registry;
  }

  /**
   * A serde of {@code type}, a class generated from an Avro schema.
   *
   * @param isKey whether the serde is for record keys (subject {@code <topic>-key}) or values
   *     (subject {@code <topic>-value})
   */
  public <T extends SpecificRecord> Serde<T> forClass(Class<T> type, boolean isKey) {
    return Serdes.serdeFrom(serializer(type, isKey), deserializer(type));
  }

  /** A serializer of {@code type}; see {@link #forClass}. */
  public <T extends SpecificRecord> Serializer<T> serializer(Class<T> type, boolean isKey) {
    return new AvroSerializer<>(registry, type, isKey);
  }

  /** A deserializer of {@code type}; see {@link #forClass}. */
  public <T extends SpecificRecord> Deserializer<T> deserializer(Class<T> type) {
    return new AvroDeserializer<>(registry, type, maxCollectionItems);
  }

  /**
   * A serde of {@code type} for Sieve's private topics (repartitions, changelogs): self-contained
   * Avro that registers nothing in the user's registry (see {@link InternalSerde}). It still reads
   * records in the registry wire format, written before these topics went private.
   */
  public <T extends SpecificRecord> Serde<T> internal(Class<T> type) {
    InternalSerde<T> serde = new InternalSerde<>(type, deserializer(type));
    return Serdes.serdeFrom(serde, serde);
  }

  /**
   * Serializes {@code record} as a value of {@code topic} (subject {@code <topic>-value}); {@code
   * null} gives {@code null}.
   */
  public <T extends SpecificRecord> byte[] serialize(String topic, T record) {
    if (record == null) {
      return null;
    }
    @SuppressWarnings("unchecked")
    AvroSerializer<T> serializer =
        (AvroSerializer<T>)
            valueSerializers.computeIfAbsent(
                record.getClass(), c -> new AvroSerializer<>(registry, record.getClass(), false));
    return serializer.serialize(topic, record);
  }

  /** Deserializes a value of {@code topic} as {@code type}; {@code null} gives {@code null}. */
  public <T extends SpecificRecord> T deserialize(String topic, byte[] data, Class<T> type) {
    if (data == null) {
      return null;
    }
    @SuppressWarnings("unchecked")
    AvroDeserializer<T> deserializer =
        (AvroDeserializer<T>)
            deserializers.computeIfAbsent(
                type, c -> new AvroDeserializer<>(registry, type, maxCollectionItems));
    return deserializer.deserialize(topic, data);
  }

  static <T> Schema schemaOf(Class<T> type) {
    try {
      return SpecificData.getForClass(type).getSchema(type);
    } catch (AvroRuntimeException e) {
      throw new IllegalArgumentException(
          type.getName() + " is not a class generated from an Avro schema", e);
    }
  }

  /** Serializer in the wire format; registers the schema once per topic. */
  static final class AvroSerializer<T> implements Serializer<T> {
    private final SchemaRegistry registry;
    private final Schema schema;
    private final String suffix;
    private final SpecificDatumWriter<T> writer;
    private final Map<String, Integer> idsByTopic = new ConcurrentHashMap<>();

    AvroSerializer(SchemaRegistry registry, Class<?> type, boolean isKey) {
      this.registry = registry;
      this.schema = schemaOf(type);
      this.suffix = isKey ? "-key" : "-value";
      this.writer = new BulkFloatWriter<>(schema, SpecificData.getForClass(type));
    }

    @Override
    public byte[] serialize(String topic, T data) {
      if (data == null) {
        return null;
      }
      int id = idFor(topic);
      // one growable buffer per thread: large records (batches, embeddings) stop re-growing it
      ByteArrayOutputStream out = BUFFER.get();
      out.reset();
      out.write(MAGIC_BYTE);
      out.write(id >>> 24);
      out.write(id >>> 16);
      out.write(id >>> 8);
      out.write(id);
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, ENCODER.get());
      ENCODER.set(encoder);
      try {
        writer.write(data, encoder);
        encoder.flush();
      } catch (IOException | RuntimeException e) {
        throw new SerializationException(
            "could not serialize a " + schema.getFullName() + " for topic " + topic + ": " + e, e);
      }
      return out.toByteArray();
    }

    private int idFor(String topic) {
      String key = topic == null ? "" : topic;
      Integer id = idsByTopic.get(key);
      if (id != null) {
        return id;
      }
      String subject = topic + suffix;
      try {
        id = registry.register(subject, schema);
      } catch (SchemaRegistryException e) {
        throw new SerializationException(
            "could not register the "
                + schema.getFullName()
                + " schema under subject "
                + subject
                + ": "
                + e.getMessage(),
            e);
      }
      idsByTopic.putIfAbsent(key, id);
      return id;
    }
  }

  /**
   * Deserializer of the wire format, resolving each writer schema against the class's schema. Every
   * length in the data is checked ({@link AvroBounds}) before the decoder may allocate by it, and a
   * failure of any kind, an {@link OutOfMemoryError} or {@link StackOverflowError} included, is a
   * {@link SerializationException}: the record is dead-lettered rather than failing the stream
   * thread that would read it again after every restart.
   */
  static final class AvroDeserializer<T> implements Deserializer<T> {
    private final SchemaRegistry registry;
    private final Schema readerSchema;
    private final SpecificData model;
    private final long maxCollectionItems;
    private final Map<Integer, SpecificDatumReader<T>> readersById = new ConcurrentHashMap<>();

    AvroDeserializer(SchemaRegistry registry, Class<T> type, long maxCollectionItems) {
      this.registry = registry;
      this.maxCollectionItems = maxCollectionItems;
      this.readerSchema = schemaOf(type);
      this.model = SpecificData.getForClass(type);
      // Avro's fast reader compiles the writer-to-reader resolution once per schema pair instead
      // of walking both schemas for every field of every datum; on a 384-d embedding that walk
      // was the largest single cost of a repartition hop (DecodeBenchmark, README: Performance)
      this.model.setFastReaderEnabled(true);
    }

    /** {@code null} and empty input give {@code null} (a tombstone). */
    @Override
    public T deserialize(String topic, byte[] data) {
      if (data == null || data.length == 0) {
        return null;
      }
      if (data[0] != MAGIC_BYTE) {
        throw new SerializationException(
            String.format(
                "unknown magic byte 0x%02x in a %d-byte record of topic %s: expected 0x00 (Confluent"
                    + " wire format)",
                data[0] & 0xff, data.length, topic));
      }
      if (data.length < HEADER_SIZE) {
        throw new SerializationException(
            "record of topic "
                + topic
                + " is too short: "
                + data.length
                + " bytes, the wire format needs at least "
                + HEADER_SIZE
                + " (magic byte and 4-byte schema id)");
      }
      int id =
          ((data[1] & 0xff) << 24)
              | ((data[2] & 0xff) << 16)
              | ((data[3] & 0xff) << 8)
              | (data[4] & 0xff);
      SpecificDatumReader<T> reader = readerFor(id, topic);
      try {
        AvroBounds.check(
            reader.getSchema(), data, HEADER_SIZE, data.length - HEADER_SIZE, maxCollectionItems);
      } catch (IllegalArgumentException e) {
        throw new SerializationException(
            "corrupt Avro data in a "
                + data.length
                + "-byte record of topic "
                + topic
                + " (schema id "
                + id
                + ", "
                + readerSchema.getFullName()
                + "): "
                + e.getMessage());
      }
      BinaryDecoder decoder =
          DecoderFactory.get()
              .binaryDecoder(data, HEADER_SIZE, data.length - HEADER_SIZE, DECODER.get());
      DECODER.set(decoder);
      T result;
      try {
        result = reader.read(null, decoder);
        if (!decoder.isEnd()) {
          throw new SerializationException(
              "corrupt Avro data in a record of topic "
                  + topic
                  + " (schema id "
                  + id
                  + "): bytes left over after the "
                  + readerSchema.getFullName());
        }
      } catch (IOException | RuntimeException | OutOfMemoryError | StackOverflowError e) {
        if (e instanceof SerializationException se) {
          throw se;
        }
        // the bounds check should make these unreachable; should a decoder still run out of heap
        // or stack on one record, that record is at fault, not the thread, which must go on
        throw new SerializationException(
            "corrupt Avro data in a record of topic "
                + topic
                + " (schema id "
                + id
                + ", "
                + readerSchema.getFullName()
                + "): "
                + e,
            e);
      }
      return result;
    }

    private SpecificDatumReader<T> readerFor(int id, String topic) {
      SpecificDatumReader<T> reader = readersById.get(id);
      if (reader != null) {
        return reader;
      }
      Schema writerSchema;
      try {
        writerSchema = registry.schemaById(id);
      } catch (SchemaRegistryException e) {
        throw new SerializationException(
            "unknown schema id " + id + " in a record of topic " + topic + ": " + e.getMessage(),
            e);
      }
      if (writerSchema == null) {
        throw new SerializationException(
            "unknown schema id " + id + " in a record of topic " + topic);
      }
      SchemaCompatibility.SchemaPairCompatibility compatibility =
          SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
      if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
        throw new SerializationException(
            "schema id "
                + id
                + " ("
                + writerSchema.getFullName()
                + ") of a record of topic "
                + topic
                + " cannot be read as "
                + readerSchema.getFullName()
                + ": "
                + compatibility.getResult().getIncompatibilities());
      }
      reader = new SpecificDatumReader<>(writerSchema, readerSchema, model);
      SpecificDatumReader<T> previous = readersById.putIfAbsent(id, reader);
      return previous != null ? previous : reader;
    }
  }
}
