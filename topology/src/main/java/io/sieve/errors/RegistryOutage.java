package io.sieve.errors;

import io.sieve.registry.SchemaRegistryException;

/**
 * Tells a registry outage from bad data. A record that failed because the schema registry could not
 * be reached (no answer, or a 5xx) is not at fault: the handlers fail the task instead of
 * dead-lettering it, the thread is replaced and the record is read again once the registry answers.
 */
final class RegistryOutage {

  private RegistryOutage() {}

  static boolean causedBy(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SchemaRegistryException e) {
        int status = e.statusCode();
        return status == SchemaRegistryException.NO_STATUS || status >= 500;
      }
    }
    return false;
  }
}
