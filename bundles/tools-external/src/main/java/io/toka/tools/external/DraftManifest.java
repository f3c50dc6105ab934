package io.toka.tools.external;

/**
 * A manifest proposed for a script found by {@link ExternalTools#discover}: for an operator to review, edit and
 * drop into {@code deploy/}. Never registered automatically.
 *
 * @param script the script, as an absolute path
 * @param tool the proposed tool name
 * @param yaml the manifest text
 */
public record DraftManifest(String script, String tool, String yaml) {
}
