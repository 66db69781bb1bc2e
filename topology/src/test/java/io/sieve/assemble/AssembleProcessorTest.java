package io.sieve.assemble;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.BatchHeader;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.PendingBatch;
import io.sieve.avro.Selection;
import io.sieve.avro.TrainingBatch;
import io.sieve.policy.GroupQuotas;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.CommitGate;
import io.sieve.stream.Outcome;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The assembler alone, with a mock context whose wall clock and punctuations the test drives. */
class AssembleProcessorTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final long T0 = 1_000_000L;
  private static final String BATCH = "t-0";

  private MockProcessorContext<String, Outcome<TrainingBatch>> context;
  private AssembleProcessor processor;
  private SieveMetrics metrics;
  private AvroSerdes serdes;
  private KeyValueStore<String, PendingBatch> store;

  @BeforeEach
  void init() {
    context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(T0);
    serdes = new AvroSerdes(new InMemorySchemaRegistry());
    store =
        org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(Stores.ASSEMBLY),
                Serdes.String(),
                serdes.forClass(PendingBatch.class, false))
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    metrics = new SieveMetrics();
    processor = new AssembleProcessor(TIMEOUT, Long.MAX_VALUE, b -> 0, metrics);
    processor.init(context);
  }

  private static BatchHeader header() {
    return BatchHeader.newBuilder()
        .setBatchId(BATCH)
        .setTrainerId("t")
        .setSequence(0)
        .setRound(0)
        .setCycle(0)
        .setPolicy("uniform")
        .setPolicyStateVersion(1)
        .setSeed(7)
        .setModelVersion(1)
        .setRequested(4)
        .setFragments(2)
        .setClusters(List.of(3, 5))
        .setPlannedAt(Instant.ofEpochMilli(T0))
        .build();
  }

  private static Selection fragment(int cluster, int supplied) {
    List<BatchExample> examples = new ArrayList<>();
    for (int i = 0; i < supplied; i++) {
      examples.add(
          BatchExample.newBuilder()
              .setId("c" + cluster + "-" + i)
              .setClusterId(cluster)
              .setGroups(Map.of("lang", "en"))
              .build());
    }
    return Selection.newBuilder()
        .setHeader(header())
        .setClusterId(cluster)
        .setRequested(2)
        .setExamples(examples)
        .build();
  }

  private void send(Selection selection, long offset) {
    context.setRecordMetadata("selections-by-batch-repartition", 0, offset);
    processor.process(new Record<>(BATCH, selection, context.currentSystemTimeMs()));
  }

  /** Moves the wall clock to {@code at} and fires the assembler's wall-clock punctuation. */
  private void sweepAt(long at) {
    context.setCurrentSystemTimeMs(at);
    context.scheduledPunctuators().stream()
        .filter(p -> p.getType() == PunctuationType.WALL_CLOCK_TIME)
        .forEach(p -> p.getPunctuator().punctuate(at));
  }

  private List<Outcome<TrainingBatch>> outcomes() {
    List<Outcome<TrainingBatch>> out = new ArrayList<>();
    context.forwarded().forEach(f -> out.add(f.record().value()));
    context.resetForwards();
    return out;
  }

  @Test
  void shouldWriteCompleteBatchOnceEveryClusterAnswered() {
    // When both clusters answer with their 2 examples
    send(fragment(3, 2), 0);
    assertThat(context.forwarded()).as("nothing before the last fragment").isEmpty();
    send(fragment(5, 2), 1);

    // Then the complete batch is written at once, keyed by trainer, grouped by cluster
    List<MockProcessorContext.CapturedForward<? extends String, ? extends Outcome<TrainingBatch>>>
        forwarded = context.forwarded();
    assertThat(forwarded).hasSize(1);
    assertThat(forwarded.get(0).record().key()).isEqualTo("t");
    TrainingBatch batch = forwarded.get(0).record().value().value();
    assertThat(batch.getComplete()).isTrue();
    assertThat(batch.getMissingClusters()).isEmpty();
    assertThat(batch.getExamples())
        .extracting(BatchExample::getId)
        .containsExactly("c3-0", "c3-1", "c5-0", "c5-1");
    assertThat(batch.getClusterCounts()).containsExactlyInAnyOrderEntriesOf(Map.of("3", 2, "5", 2));
    assertThat(batch.getGroupCounts()).containsExactlyInAnyOrderEntriesOf(Map.of("lang=en", 4));
    // and it goes back to the planner, which counts it when it writes it to the trainer's topic
    assertThat(metrics.batches()).isZero();
  }

  @Test
  void shouldCountATrimmedBatchOnceItsTransactionCommittedAndNotTheAbortedWriteOfIt() {
    // Given an assembler whose stream thread has committed 5 times so far, and whose batches may
    // take 3,000 bytes as serialized
    AtomicLong commits = new AtomicLong(5);
    org.apache.kafka.common.serialization.Serializer<TrainingBatch> serializer =
        serdes.forClass(TrainingBatch.class, false).serializer();
    processor.close();
    init();
    processor =
        new AssembleProcessor(
            TIMEOUT,
            3000,
            b -> serializer.serialize("t.batches", b).length,
            metrics,
            c -> new CommitGate(commits::get));
    processor.init(context);

    // When a batch too large is trimmed but the transaction aborts: no commit, the task is closed
    send(fragmentWithTexts(3, 2, 1000), 0);
    send(fragmentWithTexts(5, 2, 1000), 1);
    assertThat(outcomes()).hasSize(1);
    assertThat(trimmed()).as("not counted before a commit").isZero();
    processor.close();

    // and the task, revived on its committed state, trims the batch again and commits
    SieveMetrics sameMetrics = metrics;
    init();
    metrics = sameMetrics;
    processor =
        new AssembleProcessor(
            TIMEOUT,
            3000,
            b -> serializer.serialize("t.batches", b).length,
            metrics,
            c -> new CommitGate(commits::get));
    processor.init(context);
    send(fragmentWithTexts(3, 2, 1000), 0);
    send(fragmentWithTexts(5, 2, 1000), 1);
    List<Outcome<TrainingBatch>> out = outcomes();
    assertThat(out).hasSize(1);
    int left = 4 - out.get(0).value().getExamples().size();
    assertThat(left).isPositive();
    assertThat(trimmed()).isZero();
    commits.incrementAndGet();
    sweepAt(T0 + 1_000);

    // Then the examples left out are counted once
    assertThat(trimmed()).isEqualTo(left);
    sweepAt(T0 + 2_000);
    processor.close();
    assertThat(trimmed()).isEqualTo(left);
  }

  private double trimmed() {
    var c = metrics.registry().find(SieveMetrics.BATCH_TRIMMED).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void shouldWriteIncompleteBatchAfterTimeout() {
    // Given one of the two fragments
    send(fragment(3, 2), 0);

    // When the wall clock passes just short of the timeout, then the timeout
    sweepAt(T0 + TIMEOUT.toMillis() - 1);
    assertThat(context.forwarded()).as("still waiting before the timeout").isEmpty();
    sweepAt(T0 + TIMEOUT.toMillis());

    // Then the batch is written, flagged incomplete and naming the cluster that did not answer
    List<Outcome<TrainingBatch>> out = outcomes();
    assertThat(out).hasSize(1);
    TrainingBatch batch = out.get(0).value();
    assertThat(batch.getBatchId()).isEqualTo(BATCH);
    assertThat(batch.getComplete()).isFalse();
    assertThat(batch.getMissingClusters()).containsExactly(5);
    assertThat(batch.getRequested()).isEqualTo(4);
    assertThat(batch.getExamples()).extracting(BatchExample::getClusterId).containsOnly(3);

    // When the missing fragment turns up late
    send(fragment(5, 2), 1);

    // Then it becomes a dead letter, not a second batch of the same id
    out = outcomes();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).isOk()).isFalse();
    DeadLetter letter = out.get(0).deadLetter();
    assertThat(letter.getStage()).isEqualTo("assemble");
    assertThat(letter.getReason()).isEqualTo("late-fragment");
    assertThat(letter.getRecordId()).isEqualTo(BATCH);
    assertThat(letter.getTopic()).isEqualTo("selections-by-batch-repartition");
    assertThat(letter.getOffset()).isEqualTo(1L);

    // and a later sweep writes nothing more
    sweepAt(T0 + 2 * TIMEOUT.toMillis());
    assertThat(outcomes()).isEmpty();
  }

  @Test
  void shouldWriteABacklogOfTimedOutBatchesABoundedNumberPerSweep() {
    // Given 40 batches that each got one of their two fragments
    int backlog = 40;
    for (int i = 0; i < backlog; i++) {
      context.setRecordMetadata("selections-by-batch-repartition", 0, i);
      processor.process(new Record<>("t-" + i, fragment(3, 2), context.currentSystemTimeMs()));
    }

    // When sweeps pass once they have all timed out
    List<Integer> written = new ArrayList<>();
    for (int sweep = 0; sweep < 4; sweep++) {
      sweepAt(T0 + TIMEOUT.toMillis() + sweep * 1000L);
      written.add(outcomes().size());
    }

    // Then each sweep writes at most its bound, and the backlog drains over the following ones
    int bound = AssembleProcessor.MAX_DUE_PER_SWEEP;
    assertThat(written).containsExactly(bound, bound, backlog - 2 * bound, 0);
  }

  @Test
  void shouldFlagBatchIncompleteWhenAClusterSuppliedLessThanAsked() {
    // When both clusters answer but one has only 1 of its 2 examples
    send(fragment(3, 2), 0);
    send(fragment(5, 1), 1);

    // Then the batch is written at once but flagged incomplete, with no cluster missing
    List<Outcome<TrainingBatch>> out = outcomes();
    assertThat(out).hasSize(1);
    TrainingBatch batch = out.get(0).value();
    assertThat(batch.getComplete()).isFalse();
    assertThat(batch.getMissingClusters()).isEmpty();
    assertThat(batch.getExamples()).hasSize(3);
  }

  @Test
  void shouldFindTheGroupTargetsAndMinimumsABatchMisses() {
    List<BatchExample> examples = new ArrayList<>();
    for (String lang : List.of("de", "de", "en", "fr")) {
      examples.add(
          BatchExample.newBuilder()
              .setId("e" + examples.size())
              .setClusterId(1)
              .setGroups(Map.of("lang", lang))
              .build());
    }
    // Given exact targets of 2 de and 2 others: met (en and fr are "other")
    BatchHeader exact =
        BatchHeader.newBuilder(header()).setGroupTargets(Map.of("lang=de", 2, "lang=*", 2)).build();
    assertThat(AssembleProcessor.groupMisses(exact, examples)).isEmpty();
    // Given exact targets of 1 de, 3 others: both missed, with what was wanted and got
    BatchHeader missed =
        BatchHeader.newBuilder(header()).setGroupTargets(Map.of("lang=de", 1, "lang=*", 3)).build();
    assertThat(AssembleProcessor.groupMisses(missed, examples))
        .containsExactlyInAnyOrder(
            new GroupQuotas.Shortfall("lang=de", 1, 2), new GroupQuotas.Shortfall("lang=*", 3, 2));
    // Given minimums: 2 de is met, 2 fr is not
    BatchHeader minimums =
        BatchHeader.newBuilder(header())
            .setGroupMinimums(Map.of("lang=de", 2, "lang=fr", 2))
            .build();
    assertThat(AssembleProcessor.groupMisses(minimums, examples))
        .containsExactly(new GroupQuotas.Shortfall("lang=fr", 2, 1));
  }

  @Test
  void shouldCountLabelTargetsByTheExamplesLabels() {
    // Given a batch of labels 0, 0, 1 and 7, whose groups say nothing of the label
    List<BatchExample> examples = new ArrayList<>();
    for (String label : List.of("0", "0", "1", "7")) {
      examples.add(
          BatchExample.newBuilder()
              .setId("e" + examples.size())
              .setClusterId(1)
              .setLabel(label)
              .setGroups(Map.of("lang", "en"))
              .build());
    }
    // When its exact targets are label-balanced (the reserved attribute @label): 2, 1, and 1 other
    BatchHeader labels =
        BatchHeader.newBuilder(header())
            .setGroupTargets(Map.of("@label=0", 2, "@label=1", 1, "@label=*", 1))
            .build();
    // Then nothing is missed
    assertThat(AssembleProcessor.groupMisses(labels, examples)).isEmpty();
    // and a target the labels do not meet is
    BatchHeader short1 =
        BatchHeader.newBuilder(header())
            .setGroupTargets(Map.of("@label=0", 1, "@label=1", 2, "@label=*", 1))
            .build();
    assertThat(AssembleProcessor.groupMisses(short1, examples))
        .containsExactlyInAnyOrder(
            new GroupQuotas.Shortfall("@label=0", 1, 2),
            new GroupQuotas.Shortfall("@label=1", 2, 1));
  }

  @Test
  void shouldKeepEachFragmentUnderItsOwnKeyAndLeaveTheCommitToTheInterval() {
    // When the first of two fragments arrives
    send(fragment(3, 2), 0);

    // Then the batch's record holds no fragment inline; the fragment has its own entry
    assertThat(store.get(BATCH).getSelections()).isEmpty();
    PendingBatch stored = store.get(AssembleProcessor.fragmentKey(BATCH, 3));
    assertThat(stored.getSelections()).hasSize(1);
    assertThat(stored.getSelections().get(0).getExamples()).hasSize(2);
    assertThat(context.committed()).as("no commit asked before the batch is written").isFalse();

    // and when the second arrives, the batch is sent on to its planner and the fragment entries
    // go; no commit is asked for (a staged batch rides the commit interval: only a release asks)
    send(fragment(5, 2), 1);
    assertThat(outcomes()).hasSize(1);
    assertThat(context.committed()).isFalse();
    assertThat(store.get(AssembleProcessor.fragmentKey(BATCH, 3))).isNull();
    assertThat(store.get(AssembleProcessor.fragmentKey(BATCH, 5))).isNull();
    assertThat(store.get(BATCH).getEmitted()).isTrue();
    assertThat(store.get(BATCH).getIndex()).isEmpty(); // these fragments carry no slots
  }

  @Test
  void shouldRecountFragmentsAfterARestartAndReadABatchRecordThatHoldsThemInline() {
    // Given a batch record written in the former layout, cluster 3's fragment inline
    store.put(
        BATCH,
        PendingBatch.newBuilder()
            .setHeader(header())
            .setSelections(new ArrayList<>(List.of(fragment(3, 2))))
            .setFirstArrival(T0)
            .build());
    // and a fresh processor over the same store (a restart)
    processor = new AssembleProcessor(TIMEOUT, Long.MAX_VALUE, b -> 0, metrics);
    processor.init(context);

    // When cluster 5 answers
    send(fragment(5, 2), 0);

    // Then the batch is complete, with the inline fragment's examples and the new one's
    List<Outcome<TrainingBatch>> out = outcomes();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).value().getComplete()).isTrue();
    assertThat(out.get(0).value().getExamples())
        .extracting(BatchExample::getId)
        .containsExactly("c3-0", "c3-1", "c5-0", "c5-1");
  }

  @Test
  void shouldCountARepeatedFragmentOnce() {
    // When cluster 3 answers twice (a redelivery) and cluster 5 never does
    send(fragment(3, 2), 0);
    send(fragment(3, 2), 1);

    // Then the repeat neither completes the batch nor doubles its examples
    assertThat(outcomes()).isEmpty();
    sweepAt(T0 + TIMEOUT.toMillis());
    TrainingBatch batch = outcomes().get(0).value();
    assertThat(batch.getExamples()).hasSize(2);
    assertThat(batch.getMissingClusters()).containsExactly(5);
  }

  /**
   * A fragment of {@code n} examples, each with a text of {@code chars} characters, slots 0..n−1.
   */
  private static Selection fragmentWithTexts(int cluster, int n, int chars) {
    List<BatchExample> examples = new ArrayList<>();
    List<Long> slots = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      examples.add(
          BatchExample.newBuilder()
              .setId("c" + cluster + "-" + i)
              .setClusterId(cluster)
              .setText("w".repeat(chars + i))
              .setGroups(Map.of("lang", "en"))
              .build());
      slots.add((long) i);
    }
    return Selection.newBuilder()
        .setHeader(header())
        .setClusterId(cluster)
        .setRequested(2)
        .setExamples(examples)
        .setSlots(slots)
        .build();
  }

  @Test
  void shouldLeaveOutTheLargestExamplesOfABatchThatWouldNotFitAndFlagIt() {
    // Given an assembler whose batches may take 3,000 bytes as serialized
    org.apache.kafka.common.serialization.Serializer<TrainingBatch> serializer =
        serdes.forClass(TrainingBatch.class, false).serializer();
    processor =
        new AssembleProcessor(
            TIMEOUT, 3000, b -> serializer.serialize("t.batches", b).length, metrics);
    processor.init(context);
    // When two fragments bring four examples of about 1,000 bytes of text each
    send(fragmentWithTexts(3, 2, 1000), 0);
    send(fragmentWithTexts(5, 2, 1000), 1);

    // Then one batch is written that fits, without the largest examples, flagged incomplete
    List<Outcome<TrainingBatch>> out = outcomes();
    assertThat(out).hasSize(1);
    TrainingBatch batch = out.get(0).value();
    assertThat(serializer.serialize("t.batches", batch).length).isLessThanOrEqualTo(3000);
    assertThat(batch.getExamples()).hasSizeBetween(1, 3);
    assertThat(batch.getComplete()).isFalse();
    assertThat(batch.getExamples())
        .extracting(BatchExample::getId)
        .as("the shortest texts are kept")
        .contains("c3-0");
    // and the marker indexes only what was written, so scores go back to the right slots
    assertThat(store.get(BATCH).getIndex())
        .extracting(e -> e.getId().toString())
        .containsExactlyInAnyOrderElementsOf(
            batch.getExamples().stream().map(e -> e.getId().toString()).toList());
    assertThat(metrics.registry().find(SieveMetrics.BATCH_TRIMMED).counter().count())
        .isEqualTo(4 - batch.getExamples().size());
  }
}
