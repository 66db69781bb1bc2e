package io.sieve.quality;

/** A data set's files are missing; the message names the Debian package that provides them. */
public final class MissingDataException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public MissingDataException(String message) {
    super(message);
  }
}
