package io.toka.kernel;

/**
 * A request to the kernel.
 *
 * @param origin who sends it: must equal the token's subject
 * @param capability the raw capability token (1-8192 characters)
 * @param operation what to do
 */
public record Message(String origin, String capability, Operation operation) {
}
