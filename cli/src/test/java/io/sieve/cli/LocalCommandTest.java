package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.config.SieveConfig;
import io.sieve.demo.LocalStack;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalCommandTest {

  @TempDir Path temp;

  @Test
  void shouldRefuseADirectoryAnotherLocalHolds() throws Exception {
    Path dir = temp.resolve("busy");
    Files.createDirectories(dir);
    try (FileChannel channel =
            FileChannel.open(
                dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = channel.lock()) {
      CliRunner.Result r = CliRunner.run("local", "--dir", dir.toString());

      assertThat(held.isValid()).isTrue();
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.err()).contains("Another `sieve local` is running on " + dir.toAbsolutePath());
      // nothing was started on it
      assertThat(dir.resolve("kafka")).doesNotExist();
    }
  }

  @Test
  void shouldAskForTheSamePortsNextTime() throws Exception {
    assertThat(LocalStack.Ports.load(temp)).isEqualTo(LocalStack.Ports.ANY);
    LocalStack.Ports ports = new LocalStack.Ports(40001, 40002, 40003, 40004);

    ports.save(temp);

    assertThat(LocalStack.Ports.load(temp)).isEqualTo(ports);
  }

  @Test
  void shouldTakeAnyPortForOneItCannotRead() throws Exception {
    Files.writeString(
        temp.resolve(LocalStack.PORTS_FILE), "broker=abc\ncontroller=70000\nregistry=8081\n");

    assertThat(LocalStack.Ports.load(temp)).isEqualTo(new LocalStack.Ports(0, 0, 8081, 0));
  }

  @Test
  void shouldWriteClientSettingsThatTheOtherCommandsRead() throws Exception {
    SieveConfig config =
        new SieveConfig(
            Map.of(
                SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:41234",
                SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:41235/apis/ccompat/v7",
                SieveConfig.TOPIC_FEEDBACK_CONFIG, "my.feedback"));

    Path file = LocalCommand.writeClientConfig(temp, config);

    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    assertThat(p)
        .containsEntry("bootstrap.servers", "127.0.0.1:41234")
        .containsEntry("schema.registry.url", "http://127.0.0.1:41235/apis/ccompat/v7")
        .containsEntry("topic.feedback", "my.feedback")
        .containsEntry("topic.batches.prefix", SieveConfig.TOPIC_BATCHES_PREFIX_DEFAULT);
    // readable as written: no escaped colons
    assertThat(Files.readString(file)).contains("bootstrap.servers=127.0.0.1:41234");
  }
}
