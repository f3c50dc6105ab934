package io.toka.tools.external.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.tools.external.DraftManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScriptDiscoveryTest {

    @TempDir
    Path dir;
    @TempDir
    Path elsewhere;

    private void write(String rel, String content) throws Exception {
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    @Test
    void findsScriptsByTheOriginalRules() throws Exception {
        write("Fix_Dates.sh", "#!/bin/bash\n\n# Replaces hallucinated dates\necho\n");
        write("scripts/analysis/Code Analysis.py", "#!/usr/bin/env python3\n\"\"\"\n  Analyses code.\n  More.\n\"\"\"\nimport ast\nimport subprocess\n");
        write("a/b/deep.bash", "# deep enough\n");
        write("a/b/c/too_deep.sh", "# too deep\n");
        write("run_tests.sh", "# skipped: test\n");
        write("testing/x.sh", "# skipped: test in the path\n");
        write("target/y.sh", "# skipped: target\n");
        write("rotate_api_key.sh", "# skipped: key\n");
        write("get_token.py", "# skipped: token\n");
        write("notes.txt", "# not a script\n");
        write("__pycache__/m.py", "");

        List<DraftManifest> drafts = ScriptDiscovery.discover(dir);

        assertThat(drafts).extracting(DraftManifest::tool).containsExactly("fix-dates", "deep", "code-analysis");
        assertThat(drafts).extracting(DraftManifest::script).containsExactly(
                dir.resolve("Fix_Dates.sh").toString(), dir.resolve("a/b/deep.bash").toString(),
                dir.resolve("scripts/analysis/Code Analysis.py").toString());
        assertThat(drafts.get(0).yaml()).contains("description: \"Replaces hallucinated dates\"")
                .contains("type: \"shell\"").contains("- \"filesystem-read\"").contains("- \"process-spawn\"");
        assertThat(drafts.get(2).yaml()).contains("description: \"Analyses code.\"").contains("type: \"python\"")
                .contains("- \"code-analysis\"").contains("- \"process-spawn\"").contains("- \"utility\"")
                .contains("REVIEW");
    }

    @Test
    void draftsParseAsValidManifests() throws Exception {
        write("check_links.py", "'''Checks \"links\": a\\b'''\nimport requests\nimport os\n");
        write("bin/hello.sh", "#!/bin/sh\n");
        ManifestParser parser = new ManifestParser();
        for (DraftManifest d : ScriptDiscovery.discover(dir)) {
            Path f = elsewhere.resolve(d.tool() + ".tool.yaml");
            Files.writeString(f, d.yaml());
            ManifestParser.Result r = parser.parse(f);
            assertThat(r.problems()).as(d.yaml()).isEmpty();
            assertThat(r.manifest().name()).isEqualTo(d.tool());
            assertThat(r.manifest().executable()).isEqualTo(Path.of(d.script()).toRealPath());
        }
        DraftManifest links = ScriptDiscovery.discover(dir).get(1);
        assertThat(links.tool()).isEqualTo("check-links");
        Path f = elsewhere.resolve("links.tool.yaml");
        Files.writeString(f, links.yaml());
        Manifest m = parser.parse(f).manifest();
        assertThat(m.description()).isEqualTo("Checks \"links\": a\\b");
        assertThat(m.permissions()).containsExactlyInAnyOrder("filesystem:read", "filesystem:access", "network:access");
        assertThat(ScriptDiscovery.discover(dir).get(0).yaml()).contains("description: \"Shell tool\"");
    }

    @Test
    void namesFollowTheOriginal() {
        assertThat(ScriptDiscovery.toolName(Path.of("My_Script Name.sh"))).isEqualTo("my-script-name");
        assertThat(ScriptDiscovery.toolName(Path.of("x.y.py"))).isEqualTo("x-y");
        assertThat(ScriptDiscovery.toolName(Path.of("_private.py"))).isEqualTo("private");
    }
}
