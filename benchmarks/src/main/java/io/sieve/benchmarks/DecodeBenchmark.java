package io.sieve.benchmarks;

import io.sieve.avro.TrainingExample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Decoding one training example with a 384-d embedding, as every repartition hop does: Avro's
 * resolving reader (writer and reader schema walked per datum) against its fast reader (the
 * resolution compiled once per schema pair), which is what the service's deserializers use.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class DecodeBenchmark {

  @Param({"resolving", "fast"})
  public String reader;

  private byte[] bytes;
  private SpecificDatumReader<TrainingExample> datumReader;
  private BinaryDecoder decoder;
  private TrainingExample reuse;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    Random rng = new Random(3);
    List<Float> embedding = new ArrayList<>(384);
    for (int i = 0; i < 384; i++) {
      embedding.add((float) rng.nextGaussian());
    }
    TrainingExample ex =
        TrainingExample.newBuilder()
            .setId("example-1")
            .setText(Data.text(rng, 200))
            .setEmbedding(embedding)
            .setGroups(Map.of("lang", "en"))
            .build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(TrainingExample.class).write(ex, encoder);
    encoder.flush();
    bytes = out.toByteArray();
    // each parameter runs in its own fork, so flipping the class's shared model is safe here
    SpecificData model = SpecificData.getForClass(TrainingExample.class);
    model.setFastReaderEnabled("fast".equals(reader));
    datumReader =
        new SpecificDatumReader<>(
            TrainingExample.getClassSchema(), TrainingExample.getClassSchema(), model);
  }

  @Benchmark
  public TrainingExample decode() throws IOException {
    decoder = DecoderFactory.get().binaryDecoder(bytes, decoder);
    return datumReader.read(reuse, decoder);
  }
}
