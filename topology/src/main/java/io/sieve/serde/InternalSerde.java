package io.sieve.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
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
import org.apache.kafka.common.serialization.Serializer;

/**
 * The serde of Sieve's private topics (repartition topics and store changelogs), which only Sieve
 * reads: Avro binary in Avro's single-object encoding (the marker {@code C3 01}, the 8-byte
 * little-endian CRC-64-AVRO fingerprint of the writer schema, then the datum), with no schema
 * registry. The user's registry then holds the schemas of the public topics only, and a private
 * record costs no registry call and 5 bytes more than the registry wire format.
 *
 * <p>The fingerprint makes each record self-describing: a record written with another schema than
 * this build's (state left by a different Sieve version) fails with a clear error instead of being
 * misread. Records in the registry wire format (magic byte 0), which Sieve wrote to these topics
 * before they went private, are still read, by looking their schema up by id: state and in-flight
 * repartition records survive the upgrade.
 *
 * <p>Thread-safe.
 */
final class InternalSerde<T extends SpecificRecord> implements Serializer<T>, Deserializer<T> {

  /** The two bytes that open every record of Avro's single-object encoding. */
  static final byte MARKER_0 = (byte) 0xC3;

  static final byte MARKER_1 = (byte) 0x01;

  /** The marker and the fingerprint. */
  static final int HEADER_SIZE = 10;

  private static final ThreadLocal<BinaryEncoder> ENCODER = new ThreadLocal<>();
  private static final ThreadLocal<ByteArrayOutputStream> BUFFER =
      ThreadLocal.withInitial(() -> new ByteArrayOutputStream(8192));
  private static final ThreadLocal<BinaryDecoder> DECODER = new ThreadLocal<>();

  private final Schema schema;
  private final long fingerprint;
  private final byte[] header;
  private final SpecificDatumWriter<T> writer;
  private final SpecificDatumReader<T> reader;
  private final Deserializer<T> registryFormat;

  /**
   * @param registryFormat reads records in the registry wire format, written before the upgrade
   */
  InternalSerde(Class<T> type, Deserializer<T> registryFormat) {
    this.schema = AvroSerdes.schemaOf(type);
    this.fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    this.header = new byte[HEADER_SIZE];
    header[0] = MARKER_0;
    header[1] = MARKER_1;
    for (int i = 0; i < 8; i++) {
      header[2 + i] = (byte) (fingerprint >>> (8 * i));
    }
    SpecificData model = SpecificData.getForClass(type);
    // as in the registry format's reader: the compiled fast reader, not a schema walk per datum
    model.setFastReaderEnabled(true);
    this.writer = new SpecificDatumWriter<>(schema, model);
    this.reader = new SpecificDatumReader<>(schema, schema, model);
    this.registryFormat = registryFormat;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    // nothing to configure: the format needs no registry
  }

  @Override
  public void close() {
    // nothing held
  }

  /** The fingerprint this serde writes: CRC-64-AVRO of the schema's parsing canonical form. */
  long fingerprint() {
    return fingerprint;
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    // one growable buffer per thread: large records (examples with embeddings) stop re-growing it
    ByteArrayOutputStream out = BUFFER.get();
    out.reset();
    out.write(header, 0, HEADER_SIZE);
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

  /** {@code null} and empty input give {@code null} (a tombstone). */
  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null || data.length == 0) {
      return null;
    }
    if (data[0] == AvroSerdes.MAGIC_BYTE) {
      return registryFormat.deserialize(topic, data);
    }
    if (data.length < HEADER_SIZE || data[0] != MARKER_0 || data[1] != MARKER_1) {
      throw new SerializationException(
          String.format(
              "a %d-byte record of Sieve's private topic %s is in no format Sieve writes: it"
                  + " starts 0x%02x, expected 0xc301 (Avro single-object encoding) or 0x00"
                  + " (registry wire format)",
              data.length, topic, data[0] & 0xff));
    }
    long written = 0;
    for (int i = 0; i < 8; i++) {
      written |= (data[2 + i] & 0xffL) << (8 * i);
    }
    if (written != fingerprint) {
      throw new SerializationException(
          String.format(
              "a record of Sieve's private topic %s was written with another %s schema"
                  + " (fingerprint %016x, this version's is %016x): it was left by another Sieve"
                  + " version; reset the application's state (docs/ARCHITECTURE.md: Upgrades)",
              topic, schema.getFullName(), written, fingerprint));
    }
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(data, HEADER_SIZE, data.length - HEADER_SIZE, DECODER.get());
    DECODER.set(decoder);
    try {
      T result = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new SerializationException(
            "corrupt Avro data in a record of topic "
                + topic
                + ": bytes left over after the "
                + schema.getFullName());
      }
      return result;
    } catch (SerializationException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "corrupt Avro data in a record of topic "
              + topic
              + " ("
              + schema.getFullName()
              + "): "
              + e,
          e);
    }
  }
}
