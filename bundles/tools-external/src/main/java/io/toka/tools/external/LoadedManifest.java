package io.toka.tools.external;

import java.time.Instant;

/**
 * A manifest that is registered as a tool.
 *
 * @param tool the tool name ({@code metadata.name})
 * @param version the tool version ({@code metadata.version})
 * @param file the manifest file, as an absolute path
 * @param executable the program run for each call, as an absolute path
 * @param loadedAt when this version of the file was registered
 */
public record LoadedManifest(String tool, String version, String file, String executable, Instant loadedAt) {
}
