package io.sieve.cli;

import io.sieve.app.TopicAdmin;
import io.sieve.avro.TrainingExample;
import io.sieve.cli.ExampleLines.Accepted;
import io.sieve.cli.ExampleLines.Parsed;
import io.sieve.cli.ExampleLines.Rejected;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.serde.AvroSerdes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sieve ingest}: JSON lines to {@code TrainingExample} records on the examples topic, keyed
 * by example id, in the Confluent wire format.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Sends a file of JSON lines to the examples topic as TrainingExample records.",
      "Each line: {\"id\": \"ex-1\", \"text\": \"...\", \"embedding\": [..], \"groups\": {\"lang\":"
          + " \"en\"}, \"label\": \"..\", \"score\": 0.3, \"eventTime\": 1700000000000}; only id is"
          + " required. Lines that cannot be read are listed with their line numbers and reasons"
          + " (bad-json, not-an-object, missing-id, wrong-type); blank lines are skipped.",
      "Exit status: 0 when every line was sent, 1 when a line was rejected (unless"
          + " --allow-rejects) or a send failed, 2 on a usage error."
    })
final class IngestCommand implements Callable<Integer> {

  /** One rejected line. */
  record Rejection(long line, String reason, String detail) {
    String describe() {
      return "line " + line + ": " + reason + ": " + detail;
    }
  }

  /** How progress is shown on stderr. */
  enum ProgressMode {
    AUTO,
    BAR,
    PLAIN,
    NONE
  }

  @Spec CommandSpec spec;

  @Mixin ConnectionOptions connection;

  @Option(
      names = "--file",
      required = true,
      paramLabel = "FILE",
      description = "JSON lines, one example per line.")
  Path file;

  @Option(
      names = "--rejects",
      paramLabel = "FILE",
      description = "Also write the rejected lines' report here, one line each.")
  Path rejectsFile;

  @Option(names = "--allow-rejects", description = "Exit 0 even when some lines were rejected.")
  boolean allowRejects;

  @Option(
      names = "--progress",
      paramLabel = "MODE",
      defaultValue = "AUTO",
      description =
          "Progress on stderr: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}: a bar on a"
              + " terminal, a count every few seconds otherwise).")
  ProgressMode progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isReadable(file)) {
      err.println("cannot read " + file);
      return 2;
    }
    SieveConfig config = connection.sieveConfig();
    AvroSerdes serdes = ConnectionOptions.serdes(config);
    Topics topics = Topics.from(config, serdes);
    String topic = topics.examples().name();
    try (TopicAdmin admin = new TopicAdmin(config)) {
      admin.ensureRequired(topics);
    }

    boolean terminal =
        progress == ProgressMode.BAR || progress == ProgressMode.AUTO && Progress.onTerminal();
    long total = terminal ? countLines(file) : 0;
    Progress bar = progress == ProgressMode.NONE ? null : new Progress(err, terminal, total);

    List<Rejection> rejections = new ArrayList<>();
    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> sendFailure = new AtomicReference<>();
    long lineNo = 0;
    long sent = 0;
    try (KafkaProducer<String, byte[]> producer = producer(config);
        BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNo++;
        if (!line.isBlank()) {
          Parsed parsed = ExampleLines.parse(line);
          if (parsed instanceof Rejected r) {
            rejections.add(new Rejection(lineNo, r.reason(), r.detail()));
          } else {
            TrainingExample example = ((Accepted) parsed).example();
            producer.send(
                new ProducerRecord<>(topic, example.getId(), serdes.serialize(topic, example)),
                (metadata, e) -> {
                  if (e == null) {
                    acked.incrementAndGet();
                  } else {
                    sendFailure.compareAndSet(null, e);
                  }
                });
            sent++;
          }
        }
        if (bar != null) {
          bar.update(lineNo, rejections.size());
        }
      }
      producer.flush();
    }
    if (bar != null) {
      bar.finish(lineNo, rejections.size());
    }

    for (Rejection r : rejections) {
      out.println(r.describe());
    }
    if (rejectsFile != null) {
      writeRejects(rejectsFile, rejections);
    }
    out.printf(
        "%d lines, %d examples sent to %s, %d rejected%n",
        lineNo, acked.get(), topic, rejections.size());
    out.flush();
    if (sendFailure.get() != null) {
      err.println(
          "failed to send "
              + (sent - acked.get())
              + " examples: "
              + sendFailure.get().getMessage());
      return 1;
    }
    return rejections.isEmpty() || allowRejects ? 0 : 1;
  }

  private static KafkaProducer<String, byte[]> producer(SieveConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 131_072);
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  private static long countLines(Path file) throws IOException {
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      return lines.count();
    }
  }

  private static void writeRejects(Path path, List<Rejection> rejections) throws IOException {
    try (Writer w = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
      for (Rejection r : rejections) {
        w.write(r.describe());
        w.write('\n');
      }
    }
  }
}
