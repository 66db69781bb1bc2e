package io.sieve.query;

/** A store or its owner could not be reached within the query's time bound: answered with 503. */
final class NotQueryableException extends Exception {

  NotQueryableException(String message, Throwable cause) {
    super(message, cause);
  }
}
