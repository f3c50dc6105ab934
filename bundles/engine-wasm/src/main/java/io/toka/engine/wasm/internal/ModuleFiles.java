package io.toka.engine.wasm.internal;

import io.toka.runtime.execution.ExecutionEngine.CodeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Modules named by {@code inputs.module_path}: resolved inside the workspace and parsed once per version of the
 * file.
 *
 * <p>The runtime manager caches what {@code prepare()} returns by the code's hash, but a module named by path has
 * empty code, so its parsed form is cached here instead, keyed by the file's real path, size and modification
 * time: an edited file is parsed again, an unchanged one is not. The cache is a small LRU.
 */
final class ModuleFiles {

    private record Key(Path realPath, long size, long modified) {
    }

    private final int capacity;
    private final long maxBytes;
    private final Map<Key, PreparedModule> cache;

    /**
     * @param capacity how many parsed modules to keep
     * @param maxBytes the largest module file accepted
     */
    ModuleFiles(int capacity, long maxBytes) {
        this.capacity = capacity;
        this.maxBytes = maxBytes;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, PreparedModule> eldest) {
                return size() > ModuleFiles.this.capacity;
            }
        };
    }

    /**
     * Loads the module at {@code relative} inside {@code workspace}.
     *
     * @throws CodeException if the path is malformed, leaves the workspace (by {@code ..}, an absolute path or a
     *     symbolic link), is missing, too large, or not a valid module
     */
    PreparedModule load(Path workspace, String relative) throws CodeException {
        if (workspace == null) {
            throw new CodeException("inputs.module_path needs a workspace, and this run has none", 0);
        }
        Path real = resolve(workspace, relative);
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(real, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new CodeException("cannot read module_path '" + relative + "': " + e.getMessage(), 0);
        }
        if (!attributes.isRegularFile()) {
            throw new CodeException("module_path '" + relative + "' is not a file", 0);
        }
        if (attributes.size() > maxBytes) {
            throw new CodeException("module_path '" + relative + "' is " + attributes.size()
                    + " bytes; the limit is " + maxBytes, 0);
        }
        Key key = new Key(real, attributes.size(), attributes.lastModifiedTime().toMillis());
        synchronized (cache) {
            PreparedModule cached = cache.get(key);
            if (cached != null) {
                return cached;
            }
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
            // read at most one byte past the limit: the file may have grown since it was measured
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        } catch (IOException e) {
            throw new CodeException("cannot read module_path '" + relative + "': " + e.getMessage(), 0);
        }
        if (bytes.length > maxBytes) {
            throw new CodeException("module_path '" + relative + "' is larger than the limit of " + maxBytes
                    + " bytes", 0);
        }
        PreparedModule module = PreparedModule.parse(bytes, " at module_path '" + relative + "'");
        if (bytes.length == key.size()) {
            synchronized (cache) {
                cache.put(key, module);
            }
        }
        return module;
    }

    /** The real path of {@code relative}, which must be inside the real workspace. */
    static Path resolve(Path workspace, String relative) throws CodeException {
        if (relative.isBlank() || relative.indexOf('\0') >= 0) {
            throw new CodeException("inputs.module_path must be a non-empty path relative to the workspace", 0);
        }
        Path root;
        try {
            root = workspace.toRealPath();
        } catch (IOException e) {
            throw new CodeException("the workspace " + workspace + " cannot be read: " + e.getMessage(), 0);
        }
        Path requested;
        try {
            requested = root.getFileSystem().getPath(relative);
        } catch (InvalidPathException e) {
            throw new CodeException("inputs.module_path '" + relative + "' is not a valid path", 0);
        }
        if (requested.isAbsolute()) {
            throw new CodeException("inputs.module_path '" + relative
                    + "' must be relative to the workspace, not absolute", 0);
        }
        for (Path part : requested) {
            if (part.toString().equals("..")) {
                throw new CodeException("inputs.module_path '" + relative + "' must not contain '..'", 0);
            }
        }
        Path real;
        try {
            real = root.resolve(requested).toRealPath();
        } catch (NoSuchFileException e) {
            throw new CodeException("module_path '" + relative + "' does not exist in the workspace", 0);
        } catch (IOException e) {
            throw new CodeException("cannot read module_path '" + relative + "': " + e.getMessage(), 0);
        }
        // a symbolic link inside the workspace may point anywhere: judge where it really leads
        if (!real.startsWith(root)) {
            throw new CodeException("module_path '" + relative + "' leads outside the workspace", 0);
        }
        return real;
    }

    int size() {
        synchronized (cache) {
            return cache.size();
        }
    }
}
