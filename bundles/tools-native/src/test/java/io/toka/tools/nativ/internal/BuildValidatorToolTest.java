package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildValidatorToolTest {

    private static final String ROOT_POM = """
            <?xml version="1.0" encoding="UTF-8"?>
            <project xmlns="http://maven.apache.org/POM/4.0.0">
              <modelVersion>4.0.0</modelVersion>
              <groupId>io.example</groupId><artifactId>parent</artifactId><version>1</version>
              <packaging>pom</packaging>
              <modules>
                <module>api</module>
                <module>bundles/impl</module>
              </modules>
              <build>
                <pluginManagement>
                  <plugins>
                    <plugin><groupId>biz.aQute.bnd</groupId><artifactId>bnd-maven-plugin</artifactId></plugin>
                  </plugins>
                </pluginManagement>
              </build>
            </project>
            """;

    private static final String JAR_POM = """
            <project xmlns="http://maven.apache.org/POM/4.0.0">
              <modelVersion>4.0.0</modelVersion><artifactId>api</artifactId>
            </project>
            """;

    private static final String BUNDLE_POM = """
            <project xmlns="http://maven.apache.org/POM/4.0.0">
              <modelVersion>4.0.0</modelVersion><artifactId>impl</artifactId>
              <build><plugins>
                <plugin><groupId>biz.aQute.bnd</groupId><artifactId>bnd-maven-plugin</artifactId></plugin>
              </plugins></build>
            </project>
            """;

    @TempDir
    Path temp;

    private Path root;
    private BuildValidatorTool validator;

    @BeforeEach
    void setUp() {
        root = temp.resolve("workspace");
        validator = new BuildValidatorTool(new Workspace(root));
    }

    private Path file(String path, String content) throws IOException {
        Path f = root.resolve(path);
        Files.createDirectories(f.getParent());
        return Files.writeString(f, content);
    }

    private void goodMaven() throws IOException {
        file("pom.xml", ROOT_POM);
        file("bnd.bnd", "-reproducible: true\n");
        file(".gitignore", "*.class\ntarget/\n");
        file("api/pom.xml", JAR_POM);
        file("bundles/impl/pom.xml", BUNDLE_POM);
    }

    private void goodCargo() throws IOException {
        file("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n");
        file("crates/core/Cargo.toml", "[package]\nname = \"core\"\n");
        file("crates/cli/Cargo.toml", "[package]\nname = \"cli\"\n");
        file("crates/notacrate/README.md", "no manifest here\n");
        file(".gitignore", "/target\n");
    }

    private ToolResult validate(String path) throws ToolException {
        return validator.invoke(ToolInvocation.of(Map.of("workspace_path", path), Duration.ofSeconds(5)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> report(ToolResult r) {
        return (Map<String, Object>) r.structured();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    private static Object issues(ToolResult r) {
        return report(r).get("issues");
    }

    @Test
    void describesItself() {
        assertThat(validator.descriptor().name()).isEqualTo("build-validator");
        assertThat(validator.descriptor().requiredPermissions()).containsExactly("filesystem:read");
        assertThat(validator.descriptor().readOnly()).isTrue();
        assertThat(validator.descriptor().inputSchema())
                .contains("\"required\": [\"workspace_path\"]")
                .contains("\"additionalProperties\": false");
    }

    @Test
    void aGoodMavenWorkspacePasses() throws Exception {
        goodMaven();

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(r.output()).isEqualTo("Build layout is valid (maven): 4 files checked.");
        assertThat(report(r).keySet()).startsWith("files_checked", "issues", "recommendations");
        assertThat(report(r)).containsEntry("files_checked", 4)
                .containsEntry("issues", List.of())
                .containsEntry("workspace_kinds", List.of("maven"))
                .containsEntry("modules", List.of("api", "bundles/impl"));
        assertThat(list(report(r).get("recommendations"))).singleElement().asString()
                .startsWith("bundle modules [bundles/impl] inherit the root bnd.bnd");
        OutputSchemas.assertMatches(validator, r);
    }

    @Test
    void aWorkspaceBelowTheRootIsCheckedToo() throws Exception {
        Path sub = root.resolve("projects/app");
        Files.createDirectories(sub);
        Files.writeString(sub.resolve("pom.xml"), JAR_POM);
        Files.writeString(sub.resolve(".gitignore"), "target\n");

        ToolResult r = validate("projects/app");

        assertThat(r.isSuccess()).isTrue();
        assertThat(list(report(r).get("recommendations"))).contains("pom.xml declares no <modules>; that is fine for a single-module project");
    }

    @Test
    void reportsAMissingModuleDirectoryAndAModuleWithoutPom() throws Exception {
        goodMaven();
        file("pom.xml", ROOT_POM.replace("<module>api</module>", "<module>api</module><module>gone</module><module>empty</module>"));
        Files.createDirectories(root.resolve("empty"));

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).isFalse();
        assertThat(issues(r)).isEqualTo(List.of(
                "module 'gone' is listed in pom.xml but its directory does not exist",
                "module 'empty' has no pom.xml"));
        assertThat(r.output()).isEqualTo("""
                Build validation found 2 issues (maven):
                - module 'gone' is listed in pom.xml but its directory does not exist
                - module 'empty' has no pom.xml""");
    }

    @Test
    void reportsARootPomThatDoesNotParse() throws Exception {
        goodMaven();
        file("pom.xml", "<project><modules><module>api</module></project>");

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).isFalse();
        assertThat(list(issues(r))).singleElement().asString().startsWith("pom.xml does not parse (line 1, column ");
    }

    @Test
    void reportsAModulePomThatDoesNotParseOrIsNotAPom() throws Exception {
        goodMaven();
        file("api/pom.xml", "not xml");
        file("bundles/impl/pom.xml", "<settings/>");

        ToolResult r = validate(".");

        assertThat(list(issues(r))).hasSize(2);
        assertThat(list(issues(r))).first().asString().startsWith("api/pom.xml does not parse");
        assertThat(list(issues(r))).last().isEqualTo("bundles/impl/pom.xml is not a Maven POM: its root element is <settings>");
    }

    @Test
    void refusesDtdsSoAnExternalEntityIsNeverRead() throws Exception {
        goodMaven();
        Path secret = Files.writeString(temp.resolve("secret.txt"), "top secret");
        file("pom.xml", """
                <?xml version="1.0"?>
                <!DOCTYPE project [<!ENTITY xxe SYSTEM "%s">]>
                <project><packaging>pom</packaging><modules><module>&xxe;</module></modules></project>
                """.formatted(secret.toUri()));

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).isFalse();
        assertThat(list(issues(r))).singleElement().asString()
                .startsWith("pom.xml does not parse")
                .contains("DOCTYPE")
                .doesNotContain("top secret");
        assertThat(r.output()).doesNotContain("top secret");
    }

    @Test
    void reportsModulesOutsideTheWorkspace() throws Exception {
        goodMaven();
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("pom.xml"), JAR_POM);
        Files.createSymbolicLink(root.resolve("linked"), outside);
        file("pom.xml", ROOT_POM.replace("<module>api</module>",
                "<module>api</module><module>../outside</module><module>" + outside + "</module><module>linked</module>"));

        ToolResult r = validate(".");

        assertThat(issues(r)).isEqualTo(List.of(
                "module '../outside' is not a directory below the workspace; only such modules are checked",
                "module '" + outside + "' is not a directory below the workspace; only such modules are checked",
                "module 'linked': path '" + root.toRealPath().resolve("linked") + "' leads outside the workspace root through a symbolic link"));
    }

    @Test
    void readsNoFileThroughALinkLeadingOutsideAndSaysSo() throws Exception {
        goodMaven();
        goodCargo();
        file(".gitignore", "target/\n");
        Path outside = Files.createDirectories(temp.resolve("outside"));
        // outside files that would make the check pass, or that would show what they hold
        Files.writeString(outside.resolve("gitignore"), "target/\n");
        Files.writeString(outside.resolve("pom.xml"), "<secret-root/>");
        Files.createDirectories(outside.resolve("crate"));
        Files.writeString(outside.resolve("crate/Cargo.toml"), "[package]\n");
        Files.delete(root.resolve(".gitignore"));
        Files.createSymbolicLink(root.resolve(".gitignore"), outside.resolve("gitignore"));
        Files.delete(root.resolve("api/pom.xml"));
        Files.createSymbolicLink(root.resolve("api/pom.xml"), outside.resolve("pom.xml"));
        Files.createSymbolicLink(root.resolve("crates/escaped"), outside.resolve("crate"));
        String real = root.toRealPath().toString();

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).isFalse();
        assertThat(issues(r)).isEqualTo(List.of(
                "api/pom.xml is skipped: path '" + real + "/api/pom.xml' leads outside the workspace root through a symbolic link",
                "crates/escaped/Cargo.toml is skipped: path '" + real + "/crates/escaped/Cargo.toml' leads outside the"
                        + " workspace root through a symbolic link",
                ".gitignore is skipped: path '" + real + "/.gitignore' leads outside the workspace root through a symbolic link"));
        assertThat(r.output()).doesNotContain("secret-root");
        assertThat(report(r)).containsEntry("crates", 2);
    }

    @Test
    void followsLinksThatStayInside() throws Exception {
        goodMaven();
        file("shared/gitignore", "target/\n");
        Files.delete(root.resolve(".gitignore"));
        Files.createSymbolicLink(root.resolve(".gitignore"), root.resolve("shared/gitignore"));
        Files.move(root.resolve("api/pom.xml"), root.resolve("shared/api-pom.xml"));
        Files.createSymbolicLink(root.resolve("api/pom.xml"), Path.of("../shared/api-pom.xml"));

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(report(r)).containsEntry("files_checked", 4);
    }

    @Test
    void reportsAnAggregatorWithoutPomPackaging() throws Exception {
        goodMaven();
        file("pom.xml", ROOT_POM.replace("<packaging>pom</packaging>", ""));

        assertThat(issues(validate("."))).isEqualTo(List.of(
                "pom.xml declares modules but its packaging is 'jar'; an aggregator needs <packaging>pom</packaging>"));
    }

    @Test
    void reportsAMissingRootBndFileWhenBndIsUsed() throws Exception {
        goodMaven();
        Files.delete(root.resolve("bnd.bnd"));

        assertThat(list(issues(validate(".")))).singleElement().asString()
                .startsWith("bnd-maven-plugin is used but there is no root bnd.bnd");

        // without bnd there is nothing to ask for
        file("pom.xml", ROOT_POM.replace("bnd-maven-plugin", "maven-jar-plugin"));
        file("bundles/impl/pom.xml", JAR_POM);
        assertThat(validate(".").isSuccess()).isTrue();
    }

    @Test
    void reportsAGitignoreThatIsMissingOrDoesNotIgnoreTarget() throws Exception {
        goodMaven();
        file(".gitignore", "*.class\ntarget-old/\n# target/\n");
        assertThat(issues(validate("."))).isEqualTo(List.of(".gitignore does not ignore target/"));

        Files.delete(root.resolve(".gitignore"));
        assertThat(issues(validate("."))).isEqualTo(List.of(".gitignore is missing; it should ignore target/"));
    }

    @Test
    void aGoodCargoWorkspacePasses() throws Exception {
        goodCargo();

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(report(r)).containsEntry("files_checked", 4)
                .containsEntry("crates", 2)
                .containsEntry("workspace_kinds", List.of("cargo"))
                .containsEntry("recommendations", List.of("found 2 crates under crates/"));
        assertThat(report(r)).doesNotContainKey("modules");
    }

    @Test
    void aBadCargoWorkspaceFails() throws Exception {
        file("Cargo.toml", "[package]\nname = \"single\"\n# [workspace]\n");
        file(".gitignore", "*.rs.bk\n");

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).isFalse();
        assertThat(issues(r)).isEqualTo(List.of("Cargo.toml has no [workspace] section", ".gitignore does not ignore target/"));
        assertThat(report(r)).containsEntry("crates", 0)
                .containsEntry("recommendations", List.of("no crates/*/Cargo.toml found; workspace members are expected under crates/"));
    }

    @Test
    void checksBothKindsWhenBothArePresent() throws Exception {
        goodMaven();
        goodCargo();
        file(".gitignore", "target/\n");
        file("Cargo.toml", "[package]\n");

        ToolResult r = validate(".");

        assertThat(report(r)).containsEntry("workspace_kinds", List.of("maven", "cargo"));
        assertThat(issues(r)).isEqualTo(List.of("Cargo.toml has no [workspace] section"));
        assertThat(r.output()).startsWith("Build validation found 1 issue (maven, cargo):");
    }

    @Test
    void neitherKindIsAnIssue() throws Exception {
        file("README.md", "hello\n");

        ToolResult r = validate(".");

        assertThat(r.isSuccess()).isFalse();
        assertThat(issues(r)).isEqualTo(List.of("no pom.xml or Cargo.toml in '.': it is neither a Maven nor a Cargo workspace"));
        assertThat(report(r)).containsEntry("files_checked", 0).containsEntry("workspace_kinds", List.of());
    }

    @Test
    void refusesBadPaths() throws Exception {
        file("plain.txt", "x");
        assertThatThrownBy(() -> validate("../x"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '../x' must not contain '..'");
        assertThatThrownBy(() -> validate("/etc"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '/etc' is outside the workspace root");
        assertThatThrownBy(() -> validate("missing"))
                .isInstanceOf(ToolException.class)
                .hasMessage("workspace_path 'missing' does not exist");
        assertThatThrownBy(() -> validate("plain.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("workspace_path 'plain.txt' is not a directory");
        assertThatThrownBy(() -> validator.invoke(ToolInvocation.of(Map.of(), Duration.ofSeconds(5))))
                .isInstanceOf(ToolException.class)
                .hasMessage("argument 'workspace_path' must not be blank");
    }
}
