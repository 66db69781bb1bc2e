package io.sieve.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestProfileTest {

  private static final String POOL = "io.sieve.pool.PoolProcessor.process";
  private static final String DEDUP = "io.sieve.dedup.DedupProcessor.process";
  private static final String FORWARD =
      "org.apache.kafka.streams.processor.internals.ProcessorNode.process";
  private static final String RUN = "org.apache.kafka.streams.processor.internals.StreamThread.run";

  @Test
  void aSampleBelongsToTheInnermostSieveProcessorAndToWhatRunsBeneathIt() {
    // Given a near-duplicate scan in the pool, which the dedup processor forwarded to
    List<String> scan =
        List.of("io.sieve.pool.NearIndex.closest", POOL, FORWARD, DEDUP, FORWARD, RUN);
    // and a changelog write of the dedup store, beneath a scan-free stack
    List<String> changelog =
        List.of(
            "org.apache.kafka.clients.producer.KafkaProducer.send",
            "org.apache.kafka.streams.state.internals.StoreChangeLogger.logChange",
            "org.apache.kafka.streams.state.internals.ChangeLoggingKeyValueBytesStore.put",
            DEDUP,
            RUN);

    // Then each goes to its own processor, with its own kind of work
    assertThat(IngestProfile.stage(scan)).isEqualTo("PoolProcessor");
    assertThat(IngestProfile.work(scan)).isEqualTo("near-duplicate scan");
    assertThat(IngestProfile.stage(changelog)).isEqualTo("DedupProcessor");
    assertThat(IngestProfile.work(changelog)).isEqualTo("changelog write");
  }

  @Test
  void aLambdaCountsForItsProcessorAndWhatIsAboveEveryProcessorIsKafkaStreamsOwnWork() {
    List<String> lambda =
        List.of(
            "org.apache.avro.io.BinaryDecoder.readFloat",
            "io.sieve.pool.PoolProcessor$$Lambda$1548+0x00007f1540535300.at",
            POOL,
            RUN);
    List<String> decoding =
        List.of(
            "org.apache.avro.io.BinaryDecoder.readFloat",
            "io.sieve.serde.AvroSerdes$1.deserialize",
            "org.apache.kafka.streams.processor.internals.SourceNode.deserializeValue",
            "org.apache.kafka.streams.processor.internals.RecordDeserializer.deserialize",
            RUN);
    List<String> idle = List.of("java.lang.Thread.sleep", RUN);

    assertThat(IngestProfile.stage(lambda)).isEqualTo("PoolProcessor");
    assertThat(IngestProfile.work(lambda)).isEqualTo("Avro decoding");
    assertThat(IngestProfile.stage(decoding)).isEqualTo("Kafka Streams: record decoding");
    assertThat(IngestProfile.work(decoding)).isEqualTo("Avro decoding");
    assertThat(IngestProfile.stage(idle)).isEqualTo("Kafka Streams: other");
    assertThat(IngestProfile.work(idle)).isEqualTo("other");
  }

  @Test
  @SuppressWarnings("unchecked")
  void sharesAreOfAllSamplesLargestStageFirst() {
    IngestProfile.Tally tally = new IngestProfile.Tally();
    for (int i = 0; i < 3; i++) {
      tally.add(List.of("io.sieve.pool.NearIndex.closest", POOL, RUN));
    }
    tally.add(List.of("io.sieve.cluster.SimHash.hadamard", POOL, RUN));
    tally.add(List.of("java.util.HashMap.getNode", DEDUP, RUN), true);
    tally.add(List.of());

    Map<String, Object> shares = tally.shares();

    assertThat(shares.get("samples")).isEqualTo(5L);
    assertThat(shares.get("interpreted")).isEqualTo(0.2);
    Map<String, Object> stages = (Map<String, Object>) shares.get("stages");
    assertThat(stages.keySet()).containsExactly("PoolProcessor", "DedupProcessor");
    Map<String, Object> pool = (Map<String, Object>) stages.get("PoolProcessor");
    assertThat(pool.get("share")).isEqualTo(0.8);
    assertThat((Map<String, Object>) pool.get("work"))
        .containsExactly(
            Map.entry("near-duplicate scan", 0.6), Map.entry("SimHash signature", 0.2));
    assertThat(((Map<String, Object>) shares.get("topFrames")).keySet().iterator().next())
        .isEqualTo("io.sieve.pool.NearIndex.closest");
  }
}
