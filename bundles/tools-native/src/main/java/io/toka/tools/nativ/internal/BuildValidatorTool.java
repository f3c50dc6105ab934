package io.toka.tools.nativ.internal;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolName;
import io.toka.tool.ToolResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Checks the build layout of a Maven/bnd workspace and of a Cargo workspace, whichever are present. Output is
 * {@code {files_checked, issues[], recommendations[]}} plus what was found; the call succeeds only when there
 * are no issues, as in the original tool.
 *
 * <p>Every file it reads or looks at is resolved inside the workspace first: a link that stays inside is
 * followed, one that leads out is not read and is reported as an issue. Files are opened through
 * {@link Workspace#openFile}, so a directory swapped for a link after the check cannot redirect the read.
 */
// the configuration is designated once, on FileReaderTool; every file tool reads the same PID
@Component(service = Tool.class, configurationPid = WorkspaceConfig.PID)
@ToolName(BuildValidatorTool.NAME)
public final class BuildValidatorTool implements Tool {

    static final String NAME = "build-validator";

    /** Build files larger than this are not parsed: a real pom.xml or Cargo.toml is far smaller. */
    static final long MAX_BUILD_FILE_BYTES = 1024 * 1024;

    /** Maven plugins that turn a module into an OSGi bundle. */
    private static final Set<String> BUNDLE_PLUGINS = Set.of("bnd-maven-plugin", "maven-bundle-plugin");

    private static final String SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "properties": {
                "workspace_path": {"type": "string", "minLength": 1, "description": "Directory holding the root pom.xml or Cargo.toml, relative to the workspace root"}
              },
              "required": ["workspace_path"],
              "additionalProperties": false
            }""";

    /** The structured value of a result, with or without issues. */
    static final String OUTPUT_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "files_checked": {"type": "integer", "minimum": 0},
                "issues": {"type": "array", "items": {"type": "string"}},
                "recommendations": {"type": "array", "items": {"type": "string"}},
                "workspace_kinds": {"type": "array", "items": {"type": "string"}},
                "modules": {"type": "array", "items": {"type": "string"}, "description": "Maven workspaces only"},
                "crates": {"type": "integer", "minimum": 0, "description": "Cargo workspaces only"}
              },
              "required": ["files_checked", "issues", "recommendations", "workspace_kinds"]
            }""";

    private final Workspace workspace;
    private final ToolDescriptor descriptor;

    @Activate
    public BuildValidatorTool(WorkspaceConfig config) {
        this(Workspace.from(config));
    }

    BuildValidatorTool(Workspace workspace) {
        this.workspace = workspace;
        this.descriptor = ToolDescriptor.builder(NAME)
                .version("1.0.0")
                .description("Checks the build layout of a Maven/bnd workspace (root pom.xml, its modules, bnd.bnd,"
                        + " .gitignore) and of a Cargo workspace (Cargo.toml with [workspace], crates/*/Cargo.toml,"
                        + " .gitignore); fails if it finds issues.")
                .title("Check a build layout")
                .inputSchema(SCHEMA)
                .outputSchema(OUTPUT_SCHEMA)
                .requiredPermissions("filesystem:read")
                .readOnly(true)
                .idempotent(true)
                .timeout(Duration.ofSeconds(30))
                .build();
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        String userPath = invocation.stringArgument("workspace_path");
        if (userPath == null || userPath.isBlank()) {
            throw new ToolException("argument 'workspace_path' must not be blank");
        }
        Path dir = workspace.resolve(userPath);
        if (!Files.isDirectory(dir)) {
            throw new ToolException(Files.exists(dir)
                    ? "workspace_path '" + userPath + "' is not a directory"
                    : "workspace_path '" + userPath + "' does not exist");
        }
        Check check = new Check(dir);
        try {
            // a link counts as present, so that one leading outside is reported rather than silently ignored
            boolean maven = Files.exists(dir.resolve("pom.xml"), LinkOption.NOFOLLOW_LINKS);
            boolean cargo = Files.exists(dir.resolve("Cargo.toml"), LinkOption.NOFOLLOW_LINKS);
            if (maven) {
                check.maven();
            }
            if (cargo) {
                check.cargo();
            }
            if (maven || cargo) {
                check.gitignore();
            } else {
                check.issues.add("no pom.xml or Cargo.toml in '" + userPath + "': it is neither a Maven nor a Cargo workspace");
            }
        } catch (IOException e) {
            throw new ToolException("cannot check '" + userPath + "': " + e.getClass().getSimpleName(), e);
        }
        return check.result();
    }

    /** The state of one call. */
    private final class Check {
        final Path dir;
        int filesChecked;
        final List<String> kinds = new ArrayList<>();
        final List<String> issues = new ArrayList<>();
        final List<String> recommendations = new ArrayList<>();
        final List<String> modules = new ArrayList<>();
        int crates = -1;

        Check(Path dir) {
            this.dir = dir;
        }

        void maven() throws IOException {
            kinds.add("maven");
            Document root = parsePom(dir.resolve("pom.xml"), "pom.xml");
            if (root == null) {
                return;
            }
            Element project = root.getDocumentElement();
            boolean usesBnd = usesPlugin(project, "bnd-maven-plugin");
            List<String> bundleModules = new ArrayList<>();
            for (Element module : children(child(project, "modules"), "module")) {
                modules.add(module.getTextContent().trim());
            }
            if (!modules.isEmpty() && !"pom".equals(text(child(project, "packaging"), "jar"))) {
                issues.add("pom.xml declares modules but its packaging is '" + text(child(project, "packaging"), "jar")
                        + "'; an aggregator needs <packaging>pom</packaging>");
            }
            if (modules.isEmpty()) {
                recommendations.add("pom.xml declares no <modules>; that is fine for a single-module project");
            }
            for (String name : modules) {
                Document pom = module(name);
                if (pom == null) {
                    continue;
                }
                Element p = pom.getDocumentElement();
                usesBnd |= usesPlugin(p, "bnd-maven-plugin");
                if ("bundle".equals(text(child(p, "packaging"), "jar"))
                        || BUNDLE_PLUGINS.stream().anyMatch(plugin -> usesPlugin(p, plugin))) {
                    bundleModules.add(name);
                }
            }
            if (usesBnd && !isRegularFile(dir.resolve("bnd.bnd"), "bnd.bnd")) {
                issues.add("bnd-maven-plugin is used but there is no root bnd.bnd for the workspace-wide instructions"
                        + " (for example -reproducible: true)");
            }
            if (!bundleModules.isEmpty()) {
                recommendations.add("bundle modules " + bundleModules + " inherit the root bnd.bnd through bnd-maven-plugin;"
                        + " a module bnd.bnd is only needed for module-specific instructions, each with a comment saying why");
            }
        }

        /** Checks one module; returns its parsed pom, or {@code null} after recording an issue. */
        private Document module(String name) throws IOException {
            Path p;
            try {
                p = Path.of(name);
            } catch (RuntimeException e) {
                issues.add("module '" + name + "' is not a valid path");
                return null;
            }
            boolean up = false;
            for (Path part : p) {
                up |= part.toString().equals("..");
            }
            if (name.isEmpty() || p.isAbsolute() || up) {
                issues.add("module '" + name + "' is not a directory below the workspace; only such modules are checked");
                return null;
            }
            Path moduleDir;
            try {
                moduleDir = workspace.resolve(dir.resolve(p).toString());
            } catch (ToolException e) {
                issues.add("module '" + name + "': " + e.getMessage());
                return null;
            }
            // Maven also accepts a module given as the path of its pom file; moduleDir is a real path, links resolved
            Path pom = Files.isRegularFile(moduleDir, LinkOption.NOFOLLOW_LINKS) ? moduleDir : moduleDir.resolve("pom.xml");
            if (!Files.exists(moduleDir, LinkOption.NOFOLLOW_LINKS)) {
                issues.add("module '" + name + "' is listed in pom.xml but its directory does not exist");
                return null;
            }
            if (!Files.exists(pom, LinkOption.NOFOLLOW_LINKS)) {
                issues.add("module '" + name + "' has no pom.xml");
                return null;
            }
            return parsePom(pom, name + (pom == moduleDir ? "" : "/pom.xml"));
        }

        private Document parsePom(Path pom, String shown) throws IOException {
            byte[] bytes = read(pom, shown, "parsed");
            if (bytes == null) {
                return null;
            }
            try (InputStream in = new ByteArrayInputStream(bytes)) {
                DocumentBuilder builder = secureFactory().newDocumentBuilder();
                builder.setErrorHandler(new DefaultHandler()); // no messages on stderr; errors arrive as exceptions
                Document doc = builder.parse(in);
                Element project = doc.getDocumentElement();
                if (!"project".equals(localName(project))) {
                    issues.add(shown + " is not a Maven POM: its root element is <" + localName(project) + ">");
                    return null;
                }
                return doc;
            } catch (SAXParseException e) {
                issues.add(shown + " does not parse (line " + e.getLineNumber() + ", column " + e.getColumnNumber()
                        + "): " + e.getMessage());
            } catch (SAXException | ParserConfigurationException e) {
                issues.add(shown + " does not parse: " + e.getMessage());
            }
            return null;
        }

        void cargo() throws IOException {
            kinds.add("cargo");
            byte[] manifest = read(dir.resolve("Cargo.toml"), "Cargo.toml", "read");
            if (manifest == null) {
                return;
            }
            boolean workspaceSection = new String(manifest, StandardCharsets.UTF_8).lines()
                    .map(l -> l.replaceFirst("#.*", "").strip())
                    .anyMatch("[workspace]"::equals);
            if (!workspaceSection) {
                issues.add("Cargo.toml has no [workspace] section");
            }
            crates = 0;
            Path cratesDir = dir.resolve("crates");
            if (Files.isDirectory(cratesDir, LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> s = workspace.openDirectory(cratesDir, "crates")) {
                    for (Path c : s) {
                        if (isRegularFile(c.resolve("Cargo.toml"), "crates/" + c.getFileName() + "/Cargo.toml")) {
                            crates++;
                            filesChecked++;
                        }
                    }
                } catch (ToolException e) {
                    issues.add("crates/ is skipped: " + e.getMessage());
                }
            }
            recommendations.add(crates == 0
                    ? "no crates/*/Cargo.toml found; workspace members are expected under crates/"
                    : "found " + crates + (crates == 1 ? " crate" : " crates") + " under crates/");
        }

        void gitignore() throws IOException {
            Path gitignore = dir.resolve(".gitignore");
            if (!Files.exists(gitignore, LinkOption.NOFOLLOW_LINKS)) {
                issues.add(".gitignore is missing; it should ignore target/");
                return;
            }
            byte[] bytes = read(gitignore, ".gitignore", "read");
            if (bytes == null) {
                return;
            }
            boolean ignoresTarget = new String(bytes, StandardCharsets.UTF_8).lines()
                    .map(String::strip)
                    .anyMatch(l -> l.equals("target/") || l.equals("/target/") || l.equals("target")
                            || l.equals("/target") || l.equals("**/target/") || l.equals("**/target"));
            if (!ignoresTarget) {
                issues.add(".gitignore does not ignore target/");
            }
        }

        /**
         * Reads a build file after resolving it inside the workspace, without following links on the way, and
         * counts it as checked.
         *
         * @param verb what is not done to a file that is too large: "parsed" or "read"
         * @return its bytes, or {@code null} after recording an issue: it leads outside the workspace, is not a
         *     regular file, or is too large
         */
        private byte[] read(Path file, String shown, String verb) throws IOException {
            try {
                Path real = workspace.resolve(file.toString());
                try (SeekableByteChannel in = workspace.openFile(real, shown)) {
                    long size = in.size();
                    byte[] bytes = size > MAX_BUILD_FILE_BYTES ? null : Workspace.readAtMost(in, MAX_BUILD_FILE_BYTES);
                    if (bytes == null || bytes.length > MAX_BUILD_FILE_BYTES) {
                        issues.add(shown + " is " + Math.max(size, MAX_BUILD_FILE_BYTES + 1) + " bytes, over the limit of "
                                + MAX_BUILD_FILE_BYTES + " bytes; not " + verb);
                        return null;
                    }
                    filesChecked++;
                    return bytes;
                }
            } catch (ToolException e) {
                issues.add(shown + " is skipped: " + e.getMessage());
                return null;
            }
        }

        /**
         * {@code true} if the file is a regular file inside the workspace, links resolved; a link leading outside
         * is recorded as an issue and counts as absent.
         */
        private boolean isRegularFile(Path file, String shown) throws IOException {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            try {
                return workspace.attributes(workspace.resolve(file.toString()), shown).isRegularFile();
            } catch (NoSuchFileException e) {
                return false;
            } catch (ToolException e) {
                issues.add(shown + " is skipped: " + e.getMessage());
                return false;
            }
        }

        ToolResult result() {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("files_checked", filesChecked);
            report.put("issues", List.copyOf(issues));
            report.put("recommendations", List.copyOf(recommendations));
            report.put("workspace_kinds", List.copyOf(kinds));
            if (kinds.contains("maven")) {
                report.put("modules", List.copyOf(modules));
            }
            if (crates >= 0) {
                report.put("crates", crates);
            }
            String kindText = kinds.isEmpty() ? "" : " (" + String.join(", ", kinds) + ")";
            if (issues.isEmpty()) {
                return ToolResult.success("Build layout is valid" + kindText + ": " + filesChecked + " files checked.", report);
            }
            StringBuilder text = new StringBuilder("Build validation found ").append(issues.size())
                    .append(issues.size() == 1 ? " issue" : " issues").append(kindText).append(':');
            for (String issue : issues) {
                text.append("\n- ").append(issue);
            }
            return ToolResult.failure(text.toString(), report);
        }
    }

    /**
     * A parser that reads no DTD and no external entity, so a crafted pom.xml cannot read local files or reach
     * the network (XXE). A POM never needs a DTD.
     */
    private static DocumentBuilderFactory secureFactory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f;
    }

    /** {@code true} if the project lists the plugin under build/plugins or build/pluginManagement/plugins. */
    private static boolean usesPlugin(Element project, String artifactId) {
        Element build = child(project, "build");
        List<Element> plugins = new ArrayList<>(children(child(build, "plugins"), "plugin"));
        plugins.addAll(children(child(child(build, "pluginManagement"), "plugins"), "plugin"));
        return plugins.stream().anyMatch(p -> artifactId.equals(text(child(p, "artifactId"), "")));
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(localName(e))) {
                out.add(e);
            }
        }
        return out;
    }

    private static String localName(Element e) {
        return e.getLocalName() != null ? e.getLocalName() : e.getTagName();
    }

    private static String text(Element e, String fallback) {
        return e == null ? fallback : e.getTextContent().trim();
    }
}
