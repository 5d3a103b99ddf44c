import Foundation
import Glibc

/// Monotonic seconds, for timing benchmark loops.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Prints one JSON line of string and number fields.
func report(_ fields: KeyValuePairs<String, Any>) {
    let body = fields.map { key, value -> String in
        switch value {
        case let s as String: return "\"\(key)\":\"\(s)\""
        case let d as Double: return "\"\(key)\":\(String(format: "%.6f", d))"
        default: return "\"\(key)\":\(value)"
        }
    }.joined(separator: ",")
    FileHandle.standardOutput.write(Data("{\(body)}\n".utf8))
}

/// Resident set size in bytes, from /proc/self/statm.
func residentBytes() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var size = 0, resident = 0
    _ = withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &resident) { r in
            withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}

// glibc's malloc_trim is not in the Glibc module map.
@_silgen_name("malloc_trim") func malloc_trim(_ pad: Int) -> Int32

/// Anonymous resident memory (heap, not file-backed pages such as the mapped log), from
/// /proc/self/status, after returning freed heap pages to the kernel.
func anonymousResidentBytes() -> Int {
    _ = malloc_trim(0)
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("RssAnon:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}
