package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CliHelpTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ingest",
        "tail",
        "manifest",
        "trainer put",
        "trainer list",
        "trainer delete",
        "trainer pause",
        "trainer resume",
        "trainer skip",
        "trainer rewind",
        "quarantine add",
        "quarantine lift",
        "topics create"
      })
  void shouldPrintHelpWithConnectionOptions(String command) {
    // Given a tool command
    String[] args = (command + " --help").split(" ");
    // When it is asked for help
    CliRunner.Result result = CliRunner.run(args);
    // Then it prints its usage with the shared connection options and exits 0
    assertThat(result.code()).isZero();
    assertThat(result.out())
        .contains("Usage: sieve " + command)
        .contains("--config=FILE")
        .contains("--bootstrap-servers")
        .contains("--schema-registry-url");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "topics create",
        "trainer list",
        "tail --trainer t",
        "trainer pause --id t",
        "quarantine add --trainer t --cluster 3",
        "manifest --trainer t --batch 0"
      })
  void shouldRefuseToRunWithoutKafkaOrRegistry(String command) {
    // Given neither --config nor the addresses
    // When the command runs
    CliRunner.Result result = CliRunner.run(command.split(" "));
    // Then it is a usage error naming what is missing
    assertThat(result.code()).isEqualTo(2);
    assertThat(result.err())
        .contains("no bootstrap.servers: give --config FILE or --bootstrap-servers");
  }

  @ParameterizedTest
  @ValueSource(strings = {"trainer", "topics", "quarantine"})
  void shouldListSubcommandsOfCommandGroups(String group) {
    // When a command group runs without a subcommand
    CliRunner.Result result = CliRunner.run(group);
    // Then it shows its subcommands
    assertThat(result.code()).isZero();
    assertThat(result.out())
        .contains(
            switch (group) {
              case "trainer" -> "rewind";
              case "quarantine" -> "lift";
              default -> "create";
            });
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "quarantine add --trainer t --cluster 3 --group lang=fr",
        "quarantine add --trainer t",
        "quarantine lift --trainer t --group nolang --bootstrap-servers x:1"
            + " --schema-registry-url http://x",
        "quarantine add --trainer bad/id --cluster 1 --bootstrap-servers x:1"
            + " --schema-registry-url http://x",
        "trainer skip --id t"
      })
  void shouldRefuseAMalformedControlBeforeConnecting(String command) {
    // When a control is malformed (both subjects, none, a group without '=', a bad id, no --to)
    CliRunner.Result result = CliRunner.run(command.split(" "));
    // Then it is a usage error, and nothing was written
    assertThat(result.code()).isEqualTo(2);
    assertThat(result.out()).doesNotContain("written to");
  }
}
