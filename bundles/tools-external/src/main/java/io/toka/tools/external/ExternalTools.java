package io.toka.tools.external;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The external-tool manager: what is loaded from manifests, what failed, and script discovery. */
@ProviderType
public interface ExternalTools {

    /** Manifests currently registered as tools, by file. */
    List<LoadedManifest> loaded();

    /** Manifest files that failed to load, by file; one entry per problem found. */
    List<ManifestError> errors();

    /**
     * Proposes a draft manifest for every {@code *.sh} and {@code *.py} script under {@code dir}. Registers
     * nothing.
     *
     * @param dir the directory to scan
     * @return one draft per script, by path
     * @throws IOException if the directory cannot be read
     */
    List<DraftManifest> discover(Path dir) throws IOException;
}
