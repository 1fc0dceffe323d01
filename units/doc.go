// Package units is memstorm's one vocabulary for quantities: byte counts and
// how they are written and read, memory limits that can be unset or
// unlimited, and ratios that can be undefined.
//
// Every other package prints bytes with FormatBytes, parses sizes with
// ParseBytes, divides with Ratio and holds a limit in a Limit, so that the
// terminal, summary.json, the expectations and the HTML report say the same
// thing about the same number.
//
// Two words that other code used to spell -1 are values here:
//
//   - Absent (a measured figure the kernel or the allocator did not give):
//     printed "absent", written as an empty CSV cell, drawn as a gap.
//   - Unlimited (a limit of "max"): a Limit state, never a byte count.
package units
