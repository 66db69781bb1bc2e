package io.sieve.registry;

/** A schema registry request failed: rejected, not found, malformed answer or unreachable. */
public class SchemaRegistryException extends RuntimeException {

  /** {@link #statusCode()} when no HTTP response was received. */
  public static final int NO_STATUS = -1;

  private final int statusCode;

  public SchemaRegistryException(String message) {
    this(message, NO_STATUS, null);
  }

  public SchemaRegistryException(String message, Throwable cause) {
    this(message, NO_STATUS, cause);
  }

  public SchemaRegistryException(String message, int statusCode, Throwable cause) {
    super(message, cause);
    this.statusCode = statusCode;
  }

  /** The HTTP status of the registry's answer, or {@link #NO_STATUS} if there was none. */
  public int statusCode() {
    return statusCode;
  }
}
