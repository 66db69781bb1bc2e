package io.sieve.benchmarks;

import io.sieve.avro.BatchExample;
import io.sieve.serde.Embeddings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
 * One private hop of a pooled example with a 384-d embedding (encode, decode with the fast reader
 * as the service does, read the embedding as a {@code float[]}): the boxed {@code array<float>}
 * form against the packed float32 bytes the service now carries.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class PackedHopBenchmark {

  @Param({"list", "packed"})
  public String form;

  private BatchExample example;
  private SpecificDatumWriter<BatchExample> writer;
  private SpecificDatumReader<BatchExample> reader;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
  private BinaryEncoder encoder;
  private BinaryDecoder decoder;

  @Setup(Level.Trial)
  public void setUp() {
    Random rng = new Random(3);
    float[] x = new float[384];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    BatchExample.Builder b =
        BatchExample.newBuilder()
            .setId("example-1")
            .setClusterId(7)
            .setText(Data.text(rng, 200))
            .setGroups(Map.of("lang", "en", "source", "web", "region", "eu"));
    example =
        "packed".equals(form)
            ? b.setPacked(Embeddings.pack(x)).build()
            : b.setEmbedding(new java.util.ArrayList<>(Embeddings.view(x))).build();
    SpecificData model = SpecificData.getForClass(BatchExample.class);
    model.setFastReaderEnabled(true);
    writer = new SpecificDatumWriter<>(BatchExample.getClassSchema(), model);
    reader =
        new SpecificDatumReader<>(
            BatchExample.getClassSchema(), BatchExample.getClassSchema(), model);
  }

  @Benchmark
  public float[] hop() throws IOException {
    out.reset();
    encoder = EncoderFactory.get().binaryEncoder(out, encoder);
    writer.write(example, encoder);
    encoder.flush();
    decoder = DecoderFactory.get().binaryDecoder(out.toByteArray(), decoder);
    return Embeddings.of(reader.read(null, decoder));
  }
}
