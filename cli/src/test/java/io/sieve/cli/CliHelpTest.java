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
  @ValueSource(strings = {"trainer", "topics"})
  void shouldListSubcommandsOfCommandGroups(String group) {
    // When a command group runs without a subcommand
    CliRunner.Result result = CliRunner.run(group);
    // Then it shows its subcommands
    assertThat(result.code()).isZero();
    assertThat(result.out()).contains(group.equals("trainer") ? "put" : "create");
  }
}
