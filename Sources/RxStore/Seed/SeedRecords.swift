import Foundation
import RxDomain

/// What `seed` writes, as `SeedLoader` (RxUseCases) reads and checks it from `seeds/`.
package enum SeedRecords {
    /// A row of seeds/reference/essential_list_editions.csv.
    package struct Edition: Sendable {
        package var edition: String
        package var effectiveFrom: String
        package var itemCount: Int?
        package var note: String?

        package init(edition: String, effectiveFrom: String, itemCount: Int?, note: String?) {
            (self.edition, self.effectiveFrom, self.itemCount, self.note) = (edition, effectiveFrom, itemCount, note)
        }
    }

    /// A row of seeds/reference/policy_defaults.csv.
    package struct PolicyDefault: Sendable {
        package var key: String
        package var value: String
        package var effectiveFrom: String
        package var source: String

        package init(key: String, value: String, effectiveFrom: String, source: String) {
            (self.key, self.value, self.effectiveFrom, self.source) = (key, value, effectiveFrom, source)
        }
    }

    package struct Institution: Decodable, Sendable {
        package var code: String
        package var name: String
        package var level: InstitutionLevel
        package var type: InstitutionType
        package var hasTestingLab: Bool
    }

    package struct Setting: Decodable, Sendable {
        package var key: String
        package var value: String
        package var effectiveFrom: String
    }

    package struct Catalogue: Decodable, Sendable {
        package var effectiveFrom: String
        package var items: String
    }

    /// seeds/demo/consortium.json.
    package struct Consortium: Decodable, Sendable {
        package var code: String
        package var name: String
        package var kind: ConsortiumKind
        package var lead: String
        package var institutions: [Institution]
        package var settings: [Setting]
        package var catalogue: Catalogue?
    }

    /// A hospital preparation of a member (seeds/demo/hospital_preparations.csv); its drug row is seeded with it.
    package struct Preparation: Sendable {
        package var drug: Drug
        package var producerCode: String
        package var registrationKind: RegistrationKind
        package var registrationNumber: String
        package var registrationValidTo: BusinessDate?
        package var reimbursable: Bool

        package init(
            drug: Drug, producerCode: String, registrationKind: RegistrationKind, registrationNumber: String,
            registrationValidTo: BusinessDate?, reimbursable: Bool
        ) {
            (self.drug, self.producerCode, self.registrationKind) = (drug, producerCode, registrationKind)
            (self.registrationNumber, self.registrationValidTo, self.reimbursable) =
                (registrationNumber, registrationValidTo, reimbursable)
        }
    }

    /// A member's preparation licence (seeds/demo/preparation_licences.csv).
    package struct Licence: Sendable {
        package var institutionCode: String
        package var number: String
        package var validFrom: BusinessDate
        package var validTo: BusinessDate

        package init(institutionCode: String, number: String, validFrom: BusinessDate, validTo: BusinessDate) {
            (self.institutionCode, self.number, self.validFrom, self.validTo) = (institutionCode, number, validFrom, validTo)
        }
    }

    /// A piece's pharmacopoeia limits: the monograph and a maximum per measure (nil where it sets none).
    package struct QualityLimit: Sendable {
        package var drugCode: String
        package var monograph: String
        package var limits: [HerbQualityMeasure: Decimal]

        package init(drugCode: String, monograph: String, limits: [HerbQualityMeasure: Decimal]) {
            (self.drugCode, self.monograph, self.limits) = (drugCode, monograph, limits)
        }
    }

    /// A drug traceability code's product prefix (药品标识码) and the drug and package it identifies.
    package struct TraceabilityPrefix: Sendable {
        package var prefix: String
        package var drugCode: String
        package var package: String

        package init(prefix: String, drugCode: String, package: String) {
            (self.prefix, self.drugCode, self.package) = (prefix, drugCode, package)
        }
    }

    package struct Prescriber: Sendable {
        package var pseudonym: String
        package var institution: String
        package var title: PrescriberTitle

        package init(pseudonym: String, institution: String, title: PrescriberTitle) {
            (self.pseudonym, self.institution, self.title) = (pseudonym, institution, title)
        }
    }
}
