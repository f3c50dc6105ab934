package io.toka.runtime.internal.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Version;

class ToolJarTest {

    @TempDir
    Path dir;

    private File jar(String fileName, Map<String, String> headers) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach(a::putValue);
        Path p = dir.resolve(fileName);
        try (OutputStream out = Files.newOutputStream(p); JarOutputStream j = new JarOutputStream(out, mf)) {
            j.putNextEntry(new ZipEntry("com/acme/Tool.class"));
            j.write(new byte[] {1, 2, 3});
            j.closeEntry();
        }
        return p.toFile();
    }

    @Test
    void readsAToolBundle() throws IOException {
        File f = jar("acme-tools-1.2.3.jar", Map.of(
                "Bundle-SymbolicName", "com.acme.tools",
                "Bundle-Version", "1.2.3.build7",
                "Import-Package", "a;b;version=\"[1,2)\",io.toka.tool;version=\"[1.0,2)\""));

        assertThat(ToolJar.read(f)).isEqualTo(
                new ToolJar("com.acme.tools", new Version(1, 2, 3, "build7"), false, true));
    }

    @Test
    void aBundleThatDoesNotImportTheToolPackageIsNoToolBundle() throws IOException {
        File f = jar("lib.jar", Map.of(
                "Bundle-SymbolicName", "com.acme.lib",
                "Bundle-Version", "2.0.0",
                "Import-Package", "io.toka.tool.extra;version=\"[1,2)\",org.slf4j"));

        ToolJar jar = ToolJar.read(f);
        assertThat(jar).isNotNull();
        assertThat(jar.toolBundle()).isFalse();
        assertThat(jar.symbolicName()).isEqualTo("com.acme.lib");
    }

    @Test
    void detectsSingletonsAndStripsDirectivesFromTheName() throws IOException {
        ToolJar tight = ToolJar.read(jar("a.jar", Map.of("Bundle-SymbolicName", "com.acme.a;singleton:=true")));
        ToolJar spaced = ToolJar.read(jar("b.jar", Map.of("Bundle-SymbolicName", "com.acme.b ; singleton:= true")));
        ToolJar upper = ToolJar.read(jar("c.jar", Map.of("Bundle-SymbolicName", "com.acme.c;SINGLETON:=TRUE")));
        ToolJar other = ToolJar.read(jar("d.jar", Map.of("Bundle-SymbolicName", "com.acme.d;fragment-attachment:=never")));
        ToolJar off = ToolJar.read(jar("e.jar", Map.of("Bundle-SymbolicName", "com.acme.e;singleton:=false")));

        assertThat(tight.singleton()).isTrue();
        assertThat(tight.symbolicName()).isEqualTo("com.acme.a");
        assertThat(spaced.singleton()).isTrue();
        assertThat(spaced.symbolicName()).isEqualTo("com.acme.b");
        assertThat(upper.singleton()).isTrue();
        assertThat(other.singleton()).isFalse();
        assertThat(other.symbolicName()).isEqualTo("com.acme.d");
        assertThat(off.singleton()).isFalse();
    }

    @Test
    void aMissingVersionIsTheEmptyVersion() throws IOException {
        ToolJar jar = ToolJar.read(jar("x.jar", Map.of("Bundle-SymbolicName", "x")));
        assertThat(jar.version()).isEqualTo(Version.emptyVersion);
        assertThat(jar.toolBundle()).isFalse();
    }

    @Test
    void whatIsNotABundleJarIsNull() throws IOException {
        // not named .jar
        File txt = jar("tool.zip", Map.of("Bundle-SymbolicName", "com.acme.tools"));
        assertThat(ToolJar.read(txt)).isNull();
        // a directory named like a jar
        assertThat(ToolJar.read(Files.createDirectory(dir.resolve("dir.jar")).toFile())).isNull();
        // missing file
        assertThat(ToolJar.read(dir.resolve("missing.jar").toFile())).isNull();
        // a plain jar without a bundle symbolic name
        assertThat(ToolJar.read(jar("plain.jar", Map.of("Main-Class", "com.acme.Main")))).isNull();
        assertThat(ToolJar.read(jar("blank.jar", Map.of("Bundle-SymbolicName", "  ")))).isNull();
        // a bad version
        assertThat(ToolJar.read(jar("badversion.jar",
                Map.of("Bundle-SymbolicName", "com.acme.tools", "Bundle-Version", "one.two")))).isNull();
        // not a zip at all
        Path garbage = Files.writeString(dir.resolve("garbage.jar"), "this is not a jar");
        assertThat(ToolJar.read(garbage.toFile())).isNull();
    }

    @Test
    void aJarWithoutAManifestIsNull() throws IOException {
        Path p = dir.resolve("nomanifest.jar");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new ZipEntry("com/acme/Tool.class"));
            z.write(new byte[] {1});
            z.closeEntry();
        }
        assertThat(ToolJar.read(p.toFile())).isNull();
    }

    @Test
    void importsPackageFindsThePackageInEveryClauseForm() {
        String pkg = ToolJar.TOOL_PACKAGE;
        assertThat(ToolJar.importsPackage("io.toka.tool", pkg)).isTrue();
        assertThat(ToolJar.importsPackage(" io.toka.tool ", pkg)).isTrue();
        assertThat(ToolJar.importsPackage("org.slf4j,io.toka.tool", pkg)).isTrue();
        assertThat(ToolJar.importsPackage("org.slf4j;version=\"[1.7,2)\", io.toka.tool;version=\"[1.0,2)\"", pkg)).isTrue();
        // several packages share one clause's attributes
        assertThat(ToolJar.importsPackage("a;io.toka.tool;b;version=\"[1,2)\"", pkg)).isTrue();
        assertThat(ToolJar.importsPackage("a;b;version=\"[1,2)\",io.toka.tool;version=\"[1.0,2)\"", pkg)).isTrue();
        assertThat(ToolJar.importsPackage("a;resolution:=optional,io.toka.tool;resolution:=optional", pkg)).isTrue();
    }

    @Test
    void importsPackageIgnoresOtherPackagesAttributesAndQuotedText() {
        String pkg = ToolJar.TOOL_PACKAGE;
        assertThat(ToolJar.importsPackage(null, pkg)).isFalse();
        assertThat(ToolJar.importsPackage("", pkg)).isFalse();
        assertThat(ToolJar.importsPackage("io.toka.tool.extra", pkg)).isFalse();
        assertThat(ToolJar.importsPackage("io.toka", pkg)).isFalse();
        assertThat(ToolJar.importsPackage("io.toka.toolkit;version=\"[1,2)\"", pkg)).isFalse();
        // the package name inside a quoted attribute value, after a comma, is not an import
        assertThat(ToolJar.importsPackage("a;note=\"x, io.toka.tool, y\"", pkg)).isFalse();
    }

    @Test
    void splitKeepsQuotedSeparators() {
        assertThat(ToolJar.split("a;version=\"[1,2)\",b", ','))
                .containsExactly("a;version=\"[1,2)\"", "b");
        assertThat(ToolJar.split("x;y=\"p;q\";z", ';')).containsExactly("x", "y=\"p;q\"", "z");
        assertThat(ToolJar.split("", ',')).containsExactly("");
    }
}
