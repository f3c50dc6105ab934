package io.toka.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Rows printed as columns aligned with spaces, a header first; the last column is never padded. */
final class Table {

    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... headers) {
        this.headers = List.of(headers);
    }

    /** Adds a row; line breaks in a cell become spaces so that one row stays one line. */
    Table row(String... cells) {
        List<String> r = new ArrayList<>();
        for (String c : cells) {
            r.add(c == null ? "" : c.replaceAll("[\\r\\n\\t]+", " "));
        }
        rows.add(r);
        return this;
    }

    void print(PrintStream out) {
        int[] width = new int[headers.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = headers.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        line(out, headers, width);
        for (List<String> r : rows) {
            line(out, r, width);
        }
    }

    private static void line(PrintStream out, List<String> cells, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            sb.append(c);
            if (i < cells.size() - 1) {
                sb.append(" ".repeat(width[i] - c.length() + 2));
            }
        }
        out.println(sb.toString().stripTrailing());
    }

    /** @return the text cut to at most max characters, with "..." when cut */
    static String cut(String text, int max) {
        String t = text == null ? "" : text.strip().replaceAll("\\s+", " ");
        return t.length() <= max ? t : t.substring(0, max - 3) + "...";
    }
}
