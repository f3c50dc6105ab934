package io.toka.runtime.internal.deploy;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/**
 * What the deployer needs to know about a jar, read from its manifest.
 *
 * @param symbolicName the Bundle-SymbolicName without directives
 * @param version the Bundle-Version
 * @param singleton whether the bundle is a singleton (then two versions cannot be resolved side by side)
 * @param toolBundle whether it imports the tool SPI package, i.e. provides tools
 */
record ToolJar(String symbolicName, Version version, boolean singleton, boolean toolBundle) {

    static final String TOOL_PACKAGE = "io.toka.tool";

    /**
     * @param file a file
     * @return the jar's bundle facts, or {@code null} if it is not a readable jar with a Bundle-SymbolicName
     */
    static ToolJar read(File file) {
        if (!file.isFile() || !file.getName().endsWith(".jar")) {
            return null;
        }
        try (JarFile jar = new JarFile(file, false)) {
            Manifest mf = jar.getManifest();
            if (mf == null) {
                return null;
            }
            Attributes a = mf.getMainAttributes();
            String bsn = a.getValue(Constants.BUNDLE_SYMBOLICNAME);
            if (bsn == null || bsn.isBlank()) {
                return null;
            }
            List<String> bsnParts = split(bsn, ';');
            boolean singleton = bsnParts.stream().skip(1)
                    .anyMatch(p -> p.replace(" ", "").equalsIgnoreCase("singleton:=true"));
            Version version = Version.parseVersion(a.getValue(Constants.BUNDLE_VERSION));
            return new ToolJar(bsnParts.get(0).trim(), version, singleton,
                    importsPackage(a.getValue(Constants.IMPORT_PACKAGE), TOOL_PACKAGE));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether an Import-Package header names a package (clauses may list several packages before attributes). */
    static boolean importsPackage(String header, String pkg) {
        if (header == null) {
            return false;
        }
        for (String clause : split(header, ',')) {
            for (String part : split(clause, ';')) {
                String p = part.trim();
                if (p.contains("=")) {
                    break; // attributes and directives follow the package names
                }
                if (p.equals(pkg)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Splits on a separator outside double quotes. */
    static List<String> split(String s, char sep) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == sep && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
