package io.toka.bench.soak;

import io.toka.bench.soak.Api.Failure;
import io.toka.bench.soak.Api.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Swaps the {@code hello} tool bundle in {@code deploy/} between two jars that differ only in Bundle-Version, the
 * way an operator does it (the new jar written next to the old one, then renamed over it), and waits until the
 * registry describes the new version.
 */
final class HotDeploy {

    private final Api api;
    private final Path deploy;
    private final Path[] jars;
    private final String[] versions;
    private int next;

    /**
     * @param jars the two jars, in the order they alternate
     * @param versions their Bundle-Versions
     */
    HotDeploy(Api api, Path deploy, Path[] jars, String[] versions) {
        this.api = api;
        this.deploy = deploy;
        this.jars = jars.clone();
        this.versions = versions.clone();
    }

    Path target() {
        return deploy.resolve("hello-tool.jar");
    }

    /** The version the next {@link #swap} installs. */
    String nextVersion() {
        return versions[next];
    }

    /**
     * Drops the next jar and waits for its version to be the one {@code GET /tools/hello} describes.
     *
     * @return the version now answering
     */
    String swap(long timeoutMillis) throws Failure {
        int i = next;
        next = (next + 1) % jars.length;
        // written next to deploy/, not in it: FileInstall would take a half-written jar there for an artifact
        Path staging = deploy.resolveSibling(".hello-tool.staging");
        try {
            Files.copy(jars[i], staging, StandardCopyOption.REPLACE_EXISTING);
            // FileInstall tells a changed jar by its modification time; two swaps within one clock tick must differ
            Files.setLastModifiedTime(staging, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
            Files.move(staging, target(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new Failure("io", "cannot write " + target() + ": " + e);
        }
        awaitVersion(versions[i], timeoutMillis);
        return versions[i];
    }

    /** Waits until {@code GET /api/v1/tools/hello} describes the version. */
    void awaitVersion(String version, long timeoutMillis) throws Failure {
        long until = System.nanoTime() + timeoutMillis * 1_000_000L;
        String seen = null;
        while (System.nanoTime() - until < 0) {
            Reply r = api.get("/api/v1/tools/hello");
            if (r.status() == 200) {
                seen = r.body().path("version").asText();
                if (version.equals(seen)) {
                    return;
                }
            }
            Operations.sleep(10);
        }
        throw new Failure("swap-timeout", "hello " + version + " not described after " + timeoutMillis + " ms (last: "
                + seen + ")");
    }
}
