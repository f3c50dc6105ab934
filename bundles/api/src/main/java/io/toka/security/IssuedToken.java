package io.toka.security;

/**
 * A freshly minted token.
 *
 * @param token the compact JWT to hand to the holder
 * @param claims what it carries
 */
public record IssuedToken(String token, TokenClaims claims) {
}
