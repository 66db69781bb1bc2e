package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class QuietConsoleTest {

  @TempDir Path temp;

  private final PrintStream originalErr = System.err;

  @AfterEach
  void restoreLogging() throws Exception {
    System.setErr(originalErr);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    new ContextInitializer(context).autoConfig();
  }

  @Test
  void shouldKeepSieveOnTheConsoleAndSendKafkaToTheFile() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));

    Path log = QuietConsole.logTo(temp.resolve("logs/sieve.log"));
    LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient").warn("kafka-warning-1");
    LoggerFactory.getLogger("kafka.server.BrokerServer").error("broker-error-1");
    LoggerFactory.getLogger("io.sieve.embedded.EmbeddedKafka").info("broker-started-1");
    LoggerFactory.getLogger("io.sieve.app.BatchTopicProvisioner").info("sieve-progress-1");
    LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient").info("kafka-info-1");

    String file = Files.readString(log);
    String shown = console.toString(StandardCharsets.UTF_8);
    assertThat(log).isEqualTo(temp.resolve("logs/sieve.log").toAbsolutePath());
    assertThat(file)
        .contains("kafka-warning-1", "broker-error-1", "broker-started-1", "sieve-progress-1")
        .doesNotContain("kafka-info-1");
    assertThat(shown)
        .contains("sieve-progress-1")
        .doesNotContain("kafka-warning-1", "broker-error-1", "broker-started-1", "kafka-info-1");
  }
}
