package io.sieve.benchmarks;

import io.sieve.avro.BatchExample;
import io.sieve.pool.PoolKeys;
import io.sieve.registry.SchemaRegistry;
import io.sieve.serde.AvroSerdes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.Deserializer;
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
import org.openjdk.jmh.annotations.TearDown;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * What the fulfil step does for one plan fragment: read a batch of random slots of one cluster from
 * a RocksDB pool (10,000 examples of 200-character text and 384 floats, Sieve's key layout and wire
 * format) and decode them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class PoolDrawBenchmark {

  static final int POOL = 10_000;

  @Param({"64"})
  int batch;

  private Path dir;
  private Options options;
  private RocksDB db;
  private Deserializer<BatchExample> deserializer;
  private Random rng;

  @Setup(Level.Trial)
  public void setUp() throws IOException, RocksDBException {
    RocksDB.loadLibrary();
    dir = Files.createTempDirectory("sieve-pool-bench");
    options = new Options().setCreateIfMissing(true);
    db = RocksDB.open(options, dir.toString());
    AvroSerdes serdes = new AvroSerdes(new MapRegistry());
    Random data = new Random(5);
    for (long slot = 0; slot < POOL; slot++) {
      BatchExample e = Data.example(data, 3, slot);
      db.put(PoolKeys.of(3, slot).get(), serdes.serialize("pool", e));
    }
    db.compactRange();
    deserializer = serdes.deserializer(BatchExample.class);
    rng = new Random(9);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    db.close();
    options.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public List<BatchExample> drawBatch() throws RocksDBException {
    List<BatchExample> out = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      byte[] raw = db.get(PoolKeys.of(3, rng.nextInt(POOL)).get());
      out.add(deserializer.deserialize("pool", raw));
    }
    return out;
  }

  /** Schema ids from a map: the benchmark measures the store and the decoding, not a registry. */
  static final class MapRegistry implements SchemaRegistry {
    private final Map<Schema, Integer> ids = new HashMap<>();
    private final Map<Integer, Schema> schemas = new HashMap<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
      return ids.computeIfAbsent(
          schema,
          s -> {
            int id = schemas.size() + 1;
            schemas.put(id, s);
            return id;
          });
    }

    @Override
    public synchronized Schema schemaById(int id) {
      return schemas.get(id);
    }
  }
}
